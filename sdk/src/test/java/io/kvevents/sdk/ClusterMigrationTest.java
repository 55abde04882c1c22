package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.mockwebserver.http.MockResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** enable and disable against a real HTTP API server (fabric8's mock server in CRUD mode, see {@link FakeApiServer}). */
class ClusterMigrationTest {
    private FakeApiServer api;
    private KubernetesClient fabric8;
    private KubeContext context;
    private final List<String> progress = new ArrayList<>();

    @TempDir
    Path dir;

    /** A PATCH whose path contains this fails with HTTP 500 (a fault the CRUD server cannot make by itself). */
    private volatile String failPatchOf;
    /** Every PATCH after the first whose path contains this fails with HTTP 500 (a rollback that cannot be written). */
    private volatile String failLaterPatchesOf;
    private final java.util.concurrent.atomic.AtomicInteger patchesOfLater = new java.util.concurrent.atomic.AtomicInteger();
    /**
     * This many PATCHes of the model Deployment are answered 409 Conflict, as the API server answers when
     * someone else changed it since we read it (this server cannot be written to while it answers).
     */
    private final java.util.concurrent.atomic.AtomicInteger concurrentChanges = new java.util.concurrent.atomic.AtomicInteger();

    @BeforeEach
    void start() throws Exception {
        api = new FakeApiServer().onRequest(request -> {
            if ("PATCH".equals(request.getMethod()) && failLaterPatchesOf != null && request.getPath().contains(failLaterPatchesOf)
                    && patchesOfLater.incrementAndGet() > 1) {
                return new MockResponse().setResponseCode(500).setBody(
                        "{\"kind\":\"Status\",\"message\":\"injected failure\",\"code\":500}".getBytes(StandardCharsets.UTF_8));
            }
            if ("PATCH".equals(request.getMethod()) && failPatchOf != null && request.getPath().contains(failPatchOf)) {
                return new MockResponse().setResponseCode(500).setBody(
                        "{\"kind\":\"Status\",\"message\":\"injected failure\",\"code\":500}".getBytes(StandardCharsets.UTF_8));
            }
            if ("PATCH".equals(request.getMethod()) && request.getPath().contains("/deployments/llama-3-8b")
                    && concurrentChanges.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                return new MockResponse().setResponseCode(409).setBody(("{\"kind\":\"Status\","
                        + "\"reason\":\"Conflict\",\"message\":\"Operation cannot be fulfilled on deployments.apps"
                        + " \\\"llama-3-8b\\\": the object has been modified\",\"code\":409}").getBytes(StandardCharsets.UTF_8));
            }
            return null;
        });
        fabric8 = api.client;
        for (Map<String, Object> o : manifests()) {
            api.create(Manifests.write(List.of(o)));
        }
        context = new KubeContext(List.of(api.kubeconfig(dir, "default")), null, null, false);
        drainRequests();
    }

    @AfterEach
    void stop() {
        api.close();
    }

    private ApplyOptions apply(ClusterMigration.DryRun dryRun, Path backups) {
        return ApplyOptions.defaults().withDryRun(dryRun).withBackupDir(backups).withProgress(progress::add);
    }

    private static List<Map<String, Object>> manifests() {
        return Manifests.read(List.of(MigrationPlanTest.MANIFESTS.resolve("llama-deployment.yaml"),
                MigrationPlanTest.MANIFESTS.resolve("gateway-deployment.yaml")));
    }

    /** The requests since the last call, {@code METHOD path}. */
    private List<String> drainRequests() {
        List<String> seen = new ArrayList<>(api.requests);
        api.requests.clear();
        return seen;
    }

    /**
     * Nobody runs the controllers here: this plays the Deployment controller, marking both Deployments
     * rolled out shortly after enable has patched them (their generation observed, as the real one records it).
     */
    private Thread rolloutsFinishSoon() {
        Thread controller = new Thread(() -> {
            try {
                Thread.sleep(700);
                var d = fabric8.apps().deployments().inNamespace("default").withName("llama-3-8b").get();
                d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withReplicas(2)
                        .withObservedGeneration(d.getMetadata().getGeneration()).withUpdatedReplicas(2).withAvailableReplicas(2).withReadyReplicas(2).build());
                fabric8.apps().deployments().inNamespace("default").resource(d).updateStatus();
                var g = fabric8.apps().deployments().inNamespace("aibrix-system").withName("aibrix-gateway-plugins").get();
                g.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withReplicas(1)
                        .withObservedGeneration(g.getMetadata().getGeneration()).withUpdatedReplicas(1).withAvailableReplicas(1).build());
                fabric8.apps().deployments().inNamespace("aibrix-system").resource(g).updateStatus();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        controller.start();
        return controller;
    }

    private String deploymentYaml() {
        return Manifests.write(List.of(fabric8.getKubernetesSerialization().convertValue(
                fabric8.apps().deployments().inNamespace("default").withName("llama-3-8b").get(), Map.class)));
    }

    @Test
    void clientDryRunSendsNoWriteAtAll() throws Exception {
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.CLIENT, dir));
        assertEquals(List.of("deployment.apps/llama-3-8b patched (client dry run)", "service/llama-3-8b patched (client dry run)",
                "deployment.apps/aibrix-gateway-plugins patched (client dry run)"), progress);
        List<String> requests = drainRequests();
        assertTrue(requests.stream().allMatch(r -> r.startsWith("GET ")), requests.toString());
        assertTrue(ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0).state() == ModelStatus.State.OFF);
    }

    @Test
    void serverDryRunSendsEveryPatchWithDryRunAll() throws Exception {
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.SERVER, dir));
        List<String> patches = drainRequests().stream().filter(r -> r.startsWith("PATCH ")).toList();
        assertEquals(3, patches.size(), patches.toString());
        assertTrue(patches.stream().allMatch(p -> p.contains("dryRun=All")), patches.toString());
    }

    @Test
    void enableBacksUpPatchesAndIsIdempotentThenDisableRestores() throws Exception {
        String before = deploymentYaml();
        Path backups = dir.resolve("backup");
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, backups));
        assertEquals(List.of("deployment.apps/llama-3-8b patched", "service/llama-3-8b patched",
                "deployment.apps/aibrix-gateway-plugins patched"), progress);
        assertEquals(ModelStatus.State.ENABLED, ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0).state());
        try (var files = Files.list(backups)) {
            List<Path> saved = files.toList();
            assertEquals(3, saved.size());
            for (Path f : saved) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)));
            }
        }
        drainRequests();
        progress.clear();
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, backups));
        assertTrue(progress.stream().allMatch(l -> l.endsWith(" unchanged")), progress.toString());
        assertTrue(drainRequests().stream().noneMatch(r -> r.startsWith("PATCH ")));

        ClusterMigration.disable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, false,
                ApplyOptions.defaults().withProgress(l -> { }));
        assertEquals(ModelStatus.State.OFF, ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0).state());
        String after = deploymentYaml().replaceAll("(?m)^  (resourceVersion|generation): .*\\n", "");
        assertEquals(before.replaceAll("(?m)^  (resourceVersion|generation): .*\\n", ""), after);
    }

    @Test
    void aFailureAfterSomePatchesRollsThemBack() throws Exception {
        String before = deploymentYaml();
        ClusterMigration.RolledBackException e = org.junit.jupiter.api.Assertions.assertThrows(
                ClusterMigration.RolledBackException.class,
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS,
                        apply(ClusterMigration.DryRun.NONE, dir.resolve("backup")).withProgress(line -> {
                            progress.add(line);
                            if (line.equals("service/llama-3-8b patched")) {
                                // the gateway vanishes between its read and its patch: the third patch fails
                                fabric8.apps().deployments().inNamespace("aibrix-system").withName("aibrix-gateway-plugins").delete();
                            }
                        })));
        assertTrue(e.getMessage().endsWith("; rolled back 2 object(s)"), e.getMessage());
        assertTrue(progress.contains("deployment.apps/llama-3-8b rolled back"), progress.toString());
        assertTrue(progress.contains("service/llama-3-8b rolled back"), progress.toString());
        assertEquals(before.replaceAll("(?m)^  (resourceVersion|generation): .*\\n", ""),
                deploymentYaml().replaceAll("(?m)^  (resourceVersion|generation): .*\\n", ""));
        assertEquals(ModelStatus.State.OFF, ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0).state());
    }

    @Test
    void aPatchRbacDoesNotAllowIsRefusedBeforeAnyWrite() throws Exception {
        api.deny("services");
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS,
                        apply(ClusterMigration.DryRun.NONE, dir.resolve("backup"))));
        assertEquals("forbidden: you cannot patch services in namespace default (service/llama-3-8b); nothing was changed:"
                + " ask for RBAC that allows patch on services", e.getMessage());
        assertTrue(drainRequests().stream().noneMatch(r -> r.startsWith("PATCH ")));
        assertTrue(progress.isEmpty(), progress.toString());
    }

    @Test
    void waitingForTheRolloutSucceedsWhenThePodsComeUp() throws Exception {
        Thread controller = rolloutsFinishSoon();
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS,
                apply(ClusterMigration.DryRun.NONE, dir.resolve("b1")).withRollout(java.time.Duration.ofSeconds(20)));
        controller.join();
        assertTrue(progress.contains("deployment.apps/llama-3-8b rolled out"), progress.toString());
        assertTrue(progress.contains("deployment.apps/aibrix-gateway-plugins rolled out"), progress.toString());
        assertTrue(progress.contains("deployment.apps/llama-3-8b: 0/2 pods updated"), progress.toString());
        // by watch, as kubectl rollout status waits: one read, then the server's events (no 250 ms polling);
        // the other read of llama-3-8b is the controller's, before it writes the status
        List<String> requests = drainRequests();
        assertTrue(requests.stream().anyMatch(r -> r.startsWith("GET /apis/apps/v1/namespaces/default/deployments?")
                && r.contains("watch=true")), requests.toString());
        assertEquals(2, requests.stream().filter(r -> r.equals("GET /apis/apps/v1/namespaces/default/deployments/llama-3-8b"))
                .count(), requests.toString());
    }

    @Test
    void aRolloutThatDoesNotFinishInTimeRollsEverythingBack() {
        ClusterMigration.RolledBackException e = org.junit.jupiter.api.Assertions.assertThrows(
                ClusterMigration.RolledBackException.class,
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS,
                        apply(ClusterMigration.DryRun.NONE, dir.resolve("b2")).withRollout(java.time.Duration.ofSeconds(1))));
        assertEquals("deployment.apps/llama-3-8b did not roll out within 1s; rolled back 3 object(s)", e.getMessage());
        assertEquals(ModelStatus.State.OFF, ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0).state());
    }

    @Test
    void aRolledOutModelWhosePodsDoNotPublishIsRolledBack() {
        // a ready pod of the model, which the verification cannot reach: this API server has no port-forward
        fabric8.pods().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.PodBuilder()
                .withNewMetadata().withName("llama-3-8b-7d9f").withLabels(Map.of("app", "llama-3-8b")).endMetadata()
                .withNewSpec().addNewContainer().withName("vllm").withImage("vllm/vllm-openai:v0.11.0").endContainer().endSpec()
                .withNewStatus().withPhase("Running").addNewCondition().withType("Ready").withStatus("True").endCondition()
                .endStatus().build()).create();
        rolloutsFinishSoon();
        ClusterMigration.RolledBackException e = org.junit.jupiter.api.Assertions.assertThrows(
                ClusterMigration.RolledBackException.class,
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS,
                        apply(ClusterMigration.DryRun.NONE, dir.resolve("b3")).withRollout(java.time.Duration.ofSeconds(20))
                                .withVerify(java.time.Duration.ofSeconds(8))));
        assertTrue(e.getMessage().startsWith("deployment.apps/llama-3-8b does not publish KV events: no ready pod answered"
                + " within 8s ([llama-3-8b-7d9f: port-forward to pod default/llama-3-8b-7d9f port"), e.getMessage());
        assertTrue(e.getMessage().endsWith("; rolled back 3 object(s)"), e.getMessage());
        assertTrue(progress.contains("deployment.apps/llama-3-8b rolled out"), progress.toString());
        assertEquals(ModelStatus.State.OFF, ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0).state());
    }

    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"/deployments/llama-3-8b", "/services/llama-3-8b",
        "/deployments/aibrix-gateway-plugins"})
    void aFailureInjectedAtEachStepLeavesEveryObjectAsItWas(String failing) throws Exception {
        String before = deploymentYaml();
        failPatchOf = failing;
        RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS,
                        apply(ClusterMigration.DryRun.NONE, dir.resolve("backup"))));
        assertTrue(e.getMessage().contains("injected failure"), e.getMessage());
        // the first patch failing changed nothing; a later one rolls back those before it
        assertEquals(!failing.equals("/deployments/llama-3-8b"), e instanceof ClusterMigration.RolledBackException, e.getMessage());
        failPatchOf = null;
        assertEquals(before.replaceAll("(?m)^  (resourceVersion|generation): .*\\n", ""),
                deploymentYaml().replaceAll("(?m)^  (resourceVersion|generation): .*\\n", ""));
        ModelStatus status = ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0);
        assertEquals(ModelStatus.State.OFF, status.state(), status.toString());
        assertEquals(5, status.missing().size(), "the gateway too is as it was: " + status);
    }

    @Test
    void aConcurrentChangeIsReadAgainAndPlannedAgainNeverOverwritten() throws Exception {
        concurrentChanges.set(1);
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS,
                apply(ClusterMigration.DryRun.NONE, dir.resolve("backup")));
        assertTrue(progress.contains("deployment.apps/llama-3-8b changed while it was being patched; reading it again"
                + " (attempt 2 of 5)"), progress.toString());
        assertEquals(ModelStatus.State.ENABLED, ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0).state());
        // every patch carries the resourceVersion it was planned from: the server refuses it (409) if the object changed
        assertEquals(4, api.patchBodies.size(), api.patchBodies.toString());
        assertTrue(api.patchBodies.stream().allMatch(b -> b.startsWith("[{\"op\":\"replace\",\"path\":\"/metadata/resourceVersion\"")),
                api.patchBodies.toString());
    }

    @Test
    void aWriterThatKeepsChangingTheObjectIsReportedAndNothingIsChanged() throws Exception {
        String before = deploymentYaml();
        concurrentChanges.set(5);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS,
                        apply(ClusterMigration.DryRun.NONE, dir.resolve("backup"))));
        assertEquals("deployment.apps/llama-3-8b changed while it was being patched; gave up after 5 attempts (nothing was"
                + " changed)", e.getMessage());
        assertEquals(before, deploymentYaml());
    }

    private static String withoutServerFields(String yaml) {
        return yaml.replaceAll("(?m)^  (resourceVersion|generation): .*\\n", "");
    }

    /**
     * disable --restore puts back what enable saved, and with it every later change to those objects (unlike
     * disable, which keeps them): the Deployment, its Service and the gateway read as before the enable.
     */
    /**
     * A model named by the annotation AIBrix reads (e3e10f9 pkg/constants/model.go ModelNameFromMetadata), as enable
     * finds it, is found in its backup too. Found in review: restore read only the label, so a model whose name a label
     * cannot hold ("org/llama") could be enabled by that name but not restored by it.
     */
    @Test
    void aModelNamedByItsAnnotationIsRestoredByThatName() {
        fabric8.apps().deployments().inNamespace("default").withName("llama-3-8b").edit(d -> {
            d.getMetadata().setAnnotations(new java.util.HashMap<>(Map.of("model.aibrix.ai/name", "org/llama")));
            var vllm = d.getSpec().getTemplate().getSpec().getContainers().get(0);
            vllm.setArgs(vllm.getArgs().stream().map(a -> a.startsWith("--served-model-name=") ? "--served-model-name=org/llama"
                    : a).toList());
            return d;
        });
        String before = deploymentYaml();
        Path backups = dir.resolve("backup");
        ClusterMigration.enable(context, "org/llama", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, backups));
        List<String> lines = ClusterMigration.restore(context, "org/llama", backups, MigrationPlanTest.OPTIONS,
                apply(ClusterMigration.DryRun.NONE, null));
        assertTrue(lines.contains("deployment.apps/llama-3-8b restored"), lines.toString());
        assertEquals(withoutServerFields(before), withoutServerFields(deploymentYaml()));
    }

    @Test
    void restorePutsBackTheSavedObjectsWithTheirLaterChangesGone() throws Exception {
        String before = deploymentYaml();
        Map<String, Object> gatewayBefore = gatewayObject();
        Path backups = dir.resolve("backup");
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, backups));
        fabric8.apps().deployments().inNamespace("default").withName("llama-3-8b").edit(d -> {
            d.getSpec().setReplicas(5); // a change made since the enable: it goes too
            return d;
        });
        progress.clear();
        drainRequests();

        List<String> lines = ClusterMigration.restore(context, "llama-3-8b", backups, MigrationPlanTest.OPTIONS,
                apply(ClusterMigration.DryRun.NONE, null));
        assertEquals(List.of("deployment.apps/aibrix-gateway-plugins restored", "deployment.apps/llama-3-8b restored",
                "service/llama-3-8b restored"), lines);
        assertEquals(lines, progress);
        assertEquals(withoutServerFields(before), withoutServerFields(deploymentYaml()));
        assertEquals(gatewayBefore, gatewayObject());
        assertEquals(ModelStatus.State.OFF, state(context, "llama-3-8b"));
        assertEquals(3, drainRequests().stream().filter(r -> r.startsWith("PATCH ")).count());

        progress.clear();
        assertEquals(List.of("deployment.apps/aibrix-gateway-plugins unchanged", "deployment.apps/llama-3-8b unchanged",
                "service/llama-3-8b unchanged"), ClusterMigration.restore(context, "llama-3-8b", backups,
                MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null)));
        assertTrue(drainRequests().stream().noneMatch(r -> r.startsWith("PATCH ")), "a second restore writes nothing");
    }

    /**
     * A half-applied migration: enable fails at the gateway and its rollback cannot write the model's Deployment. The
     * error names the command that puts the backup back, and that command finishes the job.
     */
    @Test
    void aRollbackThatCannotFinishNamesTheRestoreThatDoes() {
        String before = deploymentYaml();
        Path backups = dir.resolve("backup");
        failPatchOf = "aibrix-gateway-plugins";
        failLaterPatchesOf = "/deployments/llama-3-8b";
        ClusterMigration.HalfAppliedException e = assertThrows(ClusterMigration.HalfAppliedException.class,
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS,
                        apply(ClusterMigration.DryRun.NONE, backups)));
        // half-applied is a failure (exit 1), not "verification failed and rolled back" (exit 3, SPEC §6)
        assertTrue(e.getMessage().contains("; could not roll back [deployment.apps/llama-3-8b: "), e.getMessage());
        assertTrue(e.getMessage().endsWith(": put them back with 'kubectl kvevents disable llama-3-8b -n default --restore "
                + backups + "'"), e.getMessage());
        assertEquals(ModelStatus.State.PARTIAL, state(context, "llama-3-8b"));

        failPatchOf = null;
        failLaterPatchesOf = null;
        ClusterMigration.restore(context, "llama-3-8b", backups, MigrationPlanTest.OPTIONS,
                apply(ClusterMigration.DryRun.NONE, null));
        assertEquals(withoutServerFields(before), withoutServerFields(deploymentYaml()));
        assertEquals(ModelStatus.State.OFF, state(context, "llama-3-8b"));
    }

    /** A server dry run that fails at a later step stored nothing, so nothing was rolled back: exit 1, not 3. */
    @Test
    void aServerDryRunThatFailsIsAFailureNotARollback() {
        failPatchOf = "aibrix-gateway-plugins";
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ClusterMigration.enable(context,
                "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.SERVER, null)));
        assertFalse(e instanceof ClusterMigration.RolledBackException, e.getMessage());
        assertTrue(e.getMessage().endsWith(" (server dry run: nothing was stored)"), e.getMessage());
    }

    @Test
    void restoreDryRunsWriteNothing() {
        Path backups = dir.resolve("backup");
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, backups));
        String enabled = deploymentYaml();
        drainRequests();
        List<String> client = ClusterMigration.restore(context, "llama-3-8b", backups, MigrationPlanTest.OPTIONS,
                apply(ClusterMigration.DryRun.CLIENT, null));
        assertEquals(List.of("deployment.apps/aibrix-gateway-plugins restored (client dry run)",
                "deployment.apps/llama-3-8b restored (client dry run)", "service/llama-3-8b restored (client dry run)"),
                client);
        assertTrue(drainRequests().stream().noneMatch(r -> r.startsWith("PATCH ")));
        assertEquals(enabled, deploymentYaml());
        // the server validates and stores nothing (the CRUD stand-in ignores dryRun, so only the requests are checked)
        ClusterMigration.restore(context, "llama-3-8b", backups, MigrationPlanTest.OPTIONS,
                apply(ClusterMigration.DryRun.SERVER, null));
        List<String> patches = drainRequests().stream().filter(r -> r.startsWith("PATCH ")).toList();
        assertEquals(3, patches.size(), patches.toString());
        assertTrue(patches.stream().allMatch(p -> p.contains("dryRun=All")), patches.toString());
    }

    /**
     * A gateway saved before sync was on would turn sync off for a model enabled since: refused unless forced. The
     * saved gateway is known by what it is (a Deployment that runs no engine), not by the --gateway-* the restore is
     * given (found in review: a gateway of another name was put back without a word).
     */
    @Test
    void restoreRefusesToTurnOffTheGatewayAnotherModelUses() {
        Path backups = dir.resolve("backup");
        KubeContext ml = createQwenInMl();
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, backups));
        ClusterMigration.enable(ml, "qwen2-7b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null));
        String enabled = deploymentYaml();
        drainRequests();
        IllegalStateException refused = assertThrows(IllegalStateException.class, () -> ClusterMigration.restore(context,
                "llama-3-8b", backups, MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null)));
        assertEquals("deployment.apps/aibrix-gateway-plugins in the backup predates KV event sync, which ml/qwen2-7b"
                + " now uses; nothing was changed: run disable llama-3-8b without --restore (it keeps the gateway's sync"
                + " for the others), or add --force", refused.getMessage());
        EnableOptions elsewhere = MigrationPlanTest.OPTIONS.withGateway("gateways", "other-gateway");
        assertEquals(refused.getMessage(), assertThrows(IllegalStateException.class, () -> ClusterMigration.restore(
                context, "llama-3-8b", backups, elsewhere, apply(ClusterMigration.DryRun.NONE, null))).getMessage());
        assertTrue(drainRequests().stream().noneMatch(r -> r.startsWith("PATCH ")));
        assertEquals(enabled, deploymentYaml());

        ClusterMigration.restore(context, "llama-3-8b", backups, MigrationPlanTest.OPTIONS.withForce(true),
                apply(ClusterMigration.DryRun.NONE, null));
        assertEquals(ModelStatus.State.OFF, state(context, "llama-3-8b"));
    }

    /**
     * One backup folder written by two enables (--one-at-a-time shares one; so does a --backup-dir given twice): the
     * restore of one model puts back its own objects and the gateway, and leaves the other model's alone (found in
     * review: it put back every file of the folder).
     */
    @Test
    void restoreFromAFolderTwoEnablesWroteLeavesTheOtherModelAlone() {
        Path backups = dir.resolve("backup");
        String before = deploymentYaml();
        KubeContext ml = createQwenInMl();
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, backups));
        ClusterMigration.enable(ml, "qwen2-7b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, backups));
        progress.clear();
        List<String> lines = ClusterMigration.restore(context, "llama-3-8b", backups, MigrationPlanTest.OPTIONS,
                apply(ClusterMigration.DryRun.NONE, null));
        assertTrue(progress.contains("deployment.apps/qwen2-7b left alone (another model's)"), progress.toString());
        assertTrue(progress.contains("service/qwen2-7b left alone (another model's)"), progress.toString());
        assertTrue(lines.stream().noneMatch(l -> l.contains("qwen2-7b")), lines.toString());
        assertEquals(withoutServerFields(before), withoutServerFields(deploymentYaml()));
        assertEquals(ModelStatus.State.ENABLED, state(ml, "qwen2-7b"), "qwen2-7b lost its sync");
    }

    @Test
    void restoreNamesWhatIsWrongWithTheBackup() throws Exception {
        Path backups = dir.resolve("backup");
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, backups));
        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> ClusterMigration.restore(context,
                "qwen2-7b", backups, MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null)));
        assertTrue(other.getMessage().startsWith(backups + " is not a backup of qwen2-7b: it holds ["), other.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> ClusterMigration.restore(
                context, "llama-3-8b", dir.resolve("nowhere"), MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null)));
        assertTrue(missing.getMessage().contains("is not a directory"), missing.getMessage());

        fabric8.services().inNamespace("default").withName("llama-3-8b").delete();
        drainRequests();
        IllegalStateException gone = assertThrows(IllegalStateException.class, () -> ClusterMigration.restore(context,
                "llama-3-8b", backups, MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null)));
        assertEquals("service/llama-3-8b is gone and was not created again (kubectl create -f "
                + backups.resolve("default_service_llama-3-8b.yaml") + "); the others were restored", gone.getMessage());
        assertEquals(ModelStatus.State.OFF, state(context, "llama-3-8b"));
    }

    // ---- migration safety: what enable and disable must never break (docs/migration-guide.md) ----

    /** A second model, qwen2-7b, in namespace ml, sharing the gateway. */
    private KubeContext createQwenInMl() {
        String yaml = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: qwen2-7b, namespace: ml}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: qwen2-7b}}
                  template:
                    metadata: {labels: {app: qwen2-7b}}
                    spec:
                      containers:
                      - name: vllm
                        image: vllm/vllm-openai:v0.11.0
                        args: [Qwen/Qwen2-7B-Instruct, --port=8000]
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: qwen2-7b, namespace: ml}
                spec:
                  selector: {app: qwen2-7b}
                  ports: [{name: http, port: 8000, targetPort: 8000}]
                """;
        api.create(yaml);
        return new KubeContext(context.kubeconfig(), null, "ml", false);
    }

    private Map<String, Object> gatewayObject() {
        Map<String, Object> g = fabric8.getKubernetesSerialization().convertValue(
                fabric8.apps().deployments().inNamespace("aibrix-system").withName("aibrix-gateway-plugins").get(), Map.class);
        @SuppressWarnings("unchecked")
        Map<String, Object> meta = (Map<String, Object>) g.get("metadata");
        for (String server : List.of("resourceVersion", "generation", "uid", "creationTimestamp", "managedFields")) {
            meta.remove(server);
        }
        g.remove("status");
        return g;
    }

    private ModelStatus.State state(KubeContext where, String model) {
        return ModelStatus.of(where, model, MigrationPlanTest.OPTIONS).get(0).state();
    }

    /**
     * Runs a second migration on its own thread to its end, while the first waits between two of its patches:
     * the interleaving that loses a write is forced instead of hoped for. (Requests are not sent at the same
     * instant: fabric8's mock server can leave one of two simultaneous PATCHes of one object unanswered.)
     */
    private static void onAnotherThread(Runnable migration) {
        java.util.concurrent.atomic.AtomicReference<RuntimeException> failed = new java.util.concurrent.atomic.AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                migration.run();
            } catch (RuntimeException e) {
                failed.set(e);
            }
        });
        t.start();
        try {
            t.join(60_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (failed.get() != null) {
            throw failed.get();
        }
    }

    /** Finding 1: disable in one namespace keeps the gateway's sync while a model in another namespace uses it. */
    @Test
    void disableKeepsTheGatewayWhileAModelInAnotherNamespaceStillUsesSync() {
        Map<String, Object> gatewayBefore = gatewayObject();
        KubeContext ml = createQwenInMl();
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null));
        ClusterMigration.enable(ml, "qwen2-7b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null));
        progress.clear();

        ClusterMigration.disable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, false, apply(ClusterMigration.DryRun.NONE, null));
        assertEquals(ModelStatus.State.OFF, state(context, "llama-3-8b"));
        assertEquals(ModelStatus.State.ENABLED, state(ml, "qwen2-7b"), "qwen2-7b lost the gateway's sync");

        ClusterMigration.disable(ml, "qwen2-7b", MigrationPlanTest.OPTIONS, false, apply(ClusterMigration.DryRun.NONE, null));
        assertEquals(gatewayBefore, gatewayObject(), "the last disable puts the gateway back as it was");
    }

    /** Finding 2: a failed enable --wait rolls back this run only: sync stays on for the model enabled before. */
    @Test
    void aFailedEnableRollsBackOnlyItsOwnWritesAndKeepsTheGatewayForOthers() {
        KubeContext ml = createQwenInMl();
        ClusterMigration.enable(ml, "qwen2-7b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null));
        String before = deploymentYaml();
        assertThrows(ClusterMigration.RolledBackException.class, () -> ClusterMigration.enable(context, "llama-3-8b",
                MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null).withRollout(java.time.Duration.ofSeconds(1))));
        assertEquals(ModelStatus.State.ENABLED, state(ml, "qwen2-7b"), "qwen2-7b lost the gateway's sync");
        assertEquals(ModelStatus.State.OFF, state(context, "llama-3-8b"));
        assertEquals(before.replaceAll("(?m)^  (resourceVersion|generation): .*\\n", ""),
                deploymentYaml().replaceAll("(?m)^  (resourceVersion|generation): .*\\n", ""));
    }

    /**
     * Finding 5: two enables sharing the gateway, interleaved so that the second finishes between the first's
     * model patch and its gateway patch. The API server itself refuses the first's stale gateway patch (409:
     * the patch carries the resourceVersion it was planned from), and the first reads again and finishes.
     */
    @Test
    void twoEnablesRacingOnTheGatewayBothEndEnabled() {
        KubeContext ml = createQwenInMl();
        concurrentChanges.set(0);
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS,
                apply(ClusterMigration.DryRun.NONE, null).withProgress(line -> {
                    progress.add(line);
                    if (line.equals("deployment.apps/llama-3-8b patched")) {
                        onAnotherThread(() -> ClusterMigration.enable(ml, "qwen2-7b", MigrationPlanTest.OPTIONS,
                                ApplyOptions.defaults().withProgress(l -> { })));
                    }
                }));
        assertTrue(progress.contains("deployment.apps/aibrix-gateway-plugins changed while it was being patched; reading it"
                + " again (attempt 2 of 5)"), progress.toString());
        assertEquals(ModelStatus.State.ENABLED, state(context, "llama-3-8b"));
        assertEquals(ModelStatus.State.ENABLED, state(ml, "qwen2-7b"));
        @SuppressWarnings("unchecked")
        String record = String.valueOf(((Map<String, Object>) ((Map<String, Object>) gatewayObject().get("metadata"))
                .get("annotations")).get("kvevents.io/undo"));
        assertTrue(record.contains("default/llama-3-8b") && record.contains("ml/qwen2-7b"), record);
    }

    /** Finding 5: a disable that would turn the gateway off races an enable that needs it: the enable wins. */
    @Test
    void aDisableRacingAnEnableNeverLeavesTheEnabledModelWithoutSync() {
        KubeContext ml = createQwenInMl();
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null));
        ClusterMigration.disable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, false,
                apply(ClusterMigration.DryRun.NONE, null).withProgress(line -> {
                    progress.add(line);
                    if (line.equals("deployment.apps/llama-3-8b patched")) {
                        onAnotherThread(() -> ClusterMigration.enable(ml, "qwen2-7b", MigrationPlanTest.OPTIONS,
                                ApplyOptions.defaults().withProgress(l -> { })));
                    }
                }));
        assertEquals(ModelStatus.State.OFF, state(context, "llama-3-8b"));
        assertEquals(ModelStatus.State.ENABLED, state(ml, "qwen2-7b"), "the racing disable turned the gateway off");
    }

    /** Finding 7: on a cluster, a gateway that is not there stops enable before any write; --skip-gateway goes on. */
    @Test
    void aMissingGatewayStopsEnableBeforeAnyWrite() throws Exception {
        fabric8.apps().deployments().inNamespace("aibrix-system").withName("aibrix-gateway-plugins").delete();
        drainRequests();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClusterMigration.enable(context,
                "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null)));
        assertTrue(e.getMessage().startsWith("the gateway deployment.apps/aibrix-gateway-plugins is not in namespace"
                + " aibrix-system: nothing was changed"), e.getMessage());
        assertTrue(drainRequests().stream().noneMatch(r -> r.startsWith("PATCH ")));

        MigrationPlan plan = ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS.withSkipGateway(true),
                apply(ClusterMigration.DryRun.NONE, null));
        assertTrue(plan.warnings().stream().anyMatch(w -> w.contains("--skip-gateway")), plan.warnings().toString());
        assertEquals(ModelStatus.State.PARTIAL, state(context, "llama-3-8b"));
    }

    /** Finding 7: with -A, a name that matches Deployments in several namespaces is refused, naming them. */
    @Test
    void allNamespacesRefusesANameThatMatchesSeveralDeployments() {
        String yaml = Manifests.write(List.of(manifests().get(0))).replace("namespace: default", "namespace: staging");
        api.create(yaml);
        KubeContext all = new KubeContext(context.kubeconfig(), null, null, true);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ClusterMigration.enable(all,
                "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null)));
        assertTrue(e.getMessage().contains("default/llama-3-8b") && e.getMessage().contains("staging/llama-3-8b"), e.getMessage());
    }

    /** Finding 3 on a cluster: edits made since enable survive disable; a replaced field changed since is reported. */
    @Test
    void disableOnAClusterKeepsEditsMadeSinceEnable() {
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null));
        fabric8.apps().deployments().inNamespace("default").withName("llama-3-8b").edit(d -> {
            d.getMetadata().getLabels().put("team", "search");
            d.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().add("--max-model-len=8192");
            return d;
        });
        fabric8.apps().deployments().inNamespace("aibrix-system").withName("aibrix-gateway-plugins").edit(d -> {
            d.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
                    .filter(v -> v.getName().equals("AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE")).forEach(v -> v.setValue("tiktoken"));
            return d;
        });
        progress.clear();
        MigrationPlan plan = ClusterMigration.disable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, false,
                apply(ClusterMigration.DryRun.NONE, null));
        String yaml = deploymentYaml();
        assertTrue(yaml.contains("team: search") && yaml.contains("--max-model-len=8192"), yaml);
        assertFalse(yaml.contains("--kv-events-config"), yaml);
        assertTrue(plan.warnings().stream().anyMatch(w -> w.contains("AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE] was changed since"
                + " enable")), plan.warnings().toString());
        assertTrue(Manifests.write(List.of(gatewayObject())).contains("tiktoken"));
    }

    /**
     * Finding 8 (issue 12): after the rollout, enable --wait checks that the pods answer vLLM's /tokenize,
     * where the AIBrix gateway tokenizes (AIBRIX_VLLM_TOKENIZER_ENDPOINT_TEMPLATE, e3e10f9 prefix_cache.go); a pod
     * that does not is reported, since the gateway then falls back to its character tokenizer.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(booleans = {true, false})
    void enableWaitChecksThatThePodsAnswerTokenize(boolean answers) throws Exception {
        com.sun.net.httpserver.HttpServer vllm = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        vllm.createContext("/tokenize", exchange -> {
            byte[] answer = "{\"count\":2,\"tokens\":[101,102]}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        vllm.start();
        try (io.kvevents.testing.VllmPeer peer = io.kvevents.testing.VllmPeer.start()) {
            Map<Integer, Integer> ports = new java.util.HashMap<>(Map.of(
                    5557, Integer.parseInt(peer.liveEndpoint().replaceAll(".*:", "")),
                    5558, Integer.parseInt(peer.replayEndpoint().replaceAll(".*:", ""))));
            if (answers) {
                ports.put(8000, vllm.getAddress().getPort());
            }
            api.pod(new FakeApiServer.Pod("default", "llama-3-8b-0", Map.of("app", "llama-3-8b"), true, ports));
            rolloutsFinishSoon();
            ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null)
                    .withRollout(java.time.Duration.ofSeconds(20)).withVerify(java.time.Duration.ofSeconds(15)));
        } finally {
            vllm.stop(0);
        }
        assertTrue(progress.contains("deployment.apps/llama-3-8b verified: pod llama-3-8b-0 answers on its replay port"),
                progress.toString());
        assertEquals(answers, progress.contains("deployment.apps/llama-3-8b answers /tokenize (2 tokens): the gateway can"
                + " tokenize prompts on its pods"), progress.toString());
        assertEquals(!answers, progress.stream().anyMatch(l -> l.startsWith("warning: deployment.apps/llama-3-8b does not"
                + " answer /tokenize on its pods")), progress.toString());
    }

    /**
     * Issue 12's manifests on a cluster: a shell-wrapped, data-parallel vLLM whose model label differs from its
     * Deployment's name and which already has a config, enabled and disabled through the API server.
     */
    @Test
    void aShellWrappedDataParallelModelIsEnabledAndDisabledOnTheCluster() {
        api.create("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: qwen-dp, namespace: default, labels: {model.aibrix.ai/name: qwen2-7b}}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: qwen-dp}}
                  template:
                    metadata: {labels: {app: qwen-dp, model.aibrix.ai/name: qwen2-7b}}
                    spec:
                      containers:
                      - name: vllm
                        image: vllm/vllm-openai:v0.11.0
                        command: [/bin/sh, -c]
                        args: ["exec vllm serve Qwen/Qwen2-7B --served-model-name qwen2-7b --data-parallel-size 2 --kv-events-config '{\\"buffer_steps\\":20000}'"]
                """);
        Map<String, Object> before = withoutServerFields(deployment("qwen-dp"));
        ClusterMigration.enable(context, "qwen-dp", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null));
        Map<String, Object> enabled = deployment("qwen-dp");
        List<String> argv = io.kvevents.internal.kube.EnablePlanner.engineArgv(io.kvevents.internal.kube.JsonTree.containers(enabled).get(0));
        assertEquals("{\"buffer_steps\":20000,\"enable_kv_cache_events\":true,\"publisher\":\"zmq\",\"endpoint\":\"tcp://*:5557\","
                + "\"replay_endpoint\":\"tcp://*:5559\",\"topic\":\"kv@$(POD_IP)@qwen2-7b\"}", argv.get(argv.indexOf("--kv-events-config") + 1));
        assertEquals("qwen2-7b", io.kvevents.internal.kube.JsonTree.at(enabled, "spec", "template", "metadata", "labels",
                "model.aibrix.ai/name"));
        assertEquals(ModelStatus.State.ENABLED, state(context, "qwen-dp"));
        ClusterMigration.disable(context, "qwen-dp", MigrationPlanTest.OPTIONS, false, apply(ClusterMigration.DryRun.NONE, null));
        assertEquals(before, withoutServerFields(deployment("qwen-dp")));
    }

    @SuppressWarnings("unchecked")
    private Map<String, Object> deployment(String name) {
        return fabric8.getKubernetesSerialization().convertValue(
                fabric8.apps().deployments().inNamespace("default").withName(name).get(), Map.class);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> withoutServerFields(Map<String, Object> d) {
        Map<String, Object> meta = (Map<String, Object>) d.get("metadata");
        for (String server : List.of("resourceVersion", "generation", "uid", "creationTimestamp", "managedFields")) {
            meta.remove(server);
        }
        d.remove("status");
        return d;
    }

    /**
     * A failure injected at each step of disable: what was done stands (each write is an undo), the message
     * says what is left, and running disable again finishes: the objects end exactly as before enable.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"/deployments/llama-3-8b", "/services/llama-3-8b",
        "/deployments/aibrix-gateway-plugins"})
    void aFailureInjectedAtEachStepOfDisableIsFinishedByRunningItAgain(String failing) {
        Map<String, Object> before = withoutServerFields(deployment("llama-3-8b"));
        Map<String, Object> gatewayBefore = gatewayObject();
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null));
        failPatchOf = failing;
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ClusterMigration.disable(context,
                "llama-3-8b", MigrationPlanTest.OPTIONS, false, apply(ClusterMigration.DryRun.NONE, null)));
        assertTrue(e.getMessage().contains("injected failure"), e.getMessage());
        assertEquals(!failing.equals("/deployments/llama-3-8b"), e.getMessage().contains("run disable again to finish"),
                e.getMessage());
        failPatchOf = null;
        ClusterMigration.disable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, false, apply(ClusterMigration.DryRun.NONE, null));
        assertEquals(before, withoutServerFields(deployment("llama-3-8b")));
        assertEquals(gatewayBefore, gatewayObject());
    }

    /** Who may not list Deployments in every namespace cannot rule out other users of sync: the gateway stays on. */
    @Test
    void disableKeepsTheGatewayOnWhenOtherNamespacesCannotBeSeen() {
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null));
        api.onRequest(request -> request.getPath().startsWith("/apis/apps/v1/deployments?")
                ? new MockResponse().setResponseCode(403).setBody(("{\"kind\":\"Status\",\"reason\":\"Forbidden\","
                        + "\"code\":403}").getBytes(StandardCharsets.UTF_8)) : null);
        MigrationPlan plan = ClusterMigration.disable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, false,
                apply(ClusterMigration.DryRun.NONE, null));
        assertTrue(plan.warnings().contains("the gateway keeps KV event sync on: you may not list deployments.apps in every"
                + " namespace (HTTP 403), so other models that use it cannot be ruled out"), plan.warnings().toString());
        assertTrue(Manifests.write(List.of(gatewayObject())).contains("AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED"));
        assertEquals(ModelStatus.State.OFF, state(context, "llama-3-8b"));
    }

    /** The gateway's settings held in a ConfigMap (envFrom) are read through the API server, never duplicated. */
    @Test
    void gatewaySettingsFromAConfigMapAreReadOnTheCluster() {
        api.create("""
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: gateway-settings, namespace: aibrix-system}
                data: {AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED: "true", AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE: remote}
                """);
        fabric8.apps().deployments().inNamespace("aibrix-system").withName("aibrix-gateway-plugins").edit(d -> {
            d.getSpec().getTemplate().getSpec().getContainers().get(0).setEnvFrom(List.of(
                    new io.fabric8.kubernetes.api.model.EnvFromSourceBuilder().withNewConfigMapRef()
                            .withName("gateway-settings").endConfigMapRef().build()));
            return d;
        });
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null));
        String gateway = Manifests.write(List.of(gatewayObject()));
        assertFalse(gateway.contains("name: AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED"), gateway);
        assertFalse(gateway.contains("name: AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE"), gateway);
        assertTrue(gateway.contains("name: AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER"), gateway);
        assertEquals(ModelStatus.State.ENABLED, state(context, "llama-3-8b"));
    }

    /** A disable whose rollout does not finish in time says so, keeps its undo, and tells what to run. */
    @Test
    void aDisableWhoseRolloutTimesOutSaysWhatIsDoneAndWhatToRun() {
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ClusterMigration.disable(context,
                "llama-3-8b", MigrationPlanTest.OPTIONS, false, apply(ClusterMigration.DryRun.NONE, null)
                        .withRollout(java.time.Duration.ofSeconds(1))));
        assertTrue(e.getMessage().startsWith("deployment.apps/llama-3-8b did not roll out within 1s; already done:"
                + " [deployment.apps/llama-3-8b, service/llama-3-8b, deployment.apps/aibrix-gateway-plugins]; run disable"
                + " again to finish"), e.getMessage());
        assertEquals(ModelStatus.State.OFF, state(context, "llama-3-8b"));
    }

    /**
     * Review: during a surge the old pod is still available (replicas 3, updated 2, available 2 of 2 wanted):
     * not rolled out yet, as kubectl rollout status says ("old replicas are pending termination").
     */
    @Test
    void aRolloutWithOldPodsStillThereIsNotDoneYet() throws Exception {
        java.util.concurrent.atomic.AtomicBoolean finished = new java.util.concurrent.atomic.AtomicBoolean();
        List<Boolean> finishedWhenSaid = new java.util.concurrent.CopyOnWriteArrayList<>();
        Thread controller = new Thread(() -> {
            try {
                Thread.sleep(500);
                setStatus("default", "llama-3-8b", 3, 2, 2);
                setStatus("aibrix-system", "aibrix-gateway-plugins", 1, 1, 1);
                Thread.sleep(1500);
                finished.set(true);
                setStatus("default", "llama-3-8b", 2, 2, 2);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        controller.start();
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, apply(ClusterMigration.DryRun.NONE, null)
                .withRollout(java.time.Duration.ofSeconds(20)).withProgress(line -> {
                    if (line.equals("deployment.apps/llama-3-8b rolled out")) {
                        finishedWhenSaid.add(finished.get());
                    }
                }));
        controller.join();
        assertEquals(List.of(true), finishedWhenSaid);
    }

    private void setStatus(String ns, String name, int replicas, int updated, int available) {
        var d = fabric8.apps().deployments().inNamespace(ns).withName(name).get();
        d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withReplicas(replicas)
                .withObservedGeneration(d.getMetadata().getGeneration()).withUpdatedReplicas(updated).withAvailableReplicas(available).withReadyReplicas(available).build());
        fabric8.apps().deployments().inNamespace(ns).resource(d).updateStatus();
    }

    /** Review: a plan made again after a conflict that now fails (the gateway went) undoes what was written. */
    @Test
    void aReplanThatFailsAfterAConflictRollsBackWhatWasWritten() {
        String before = deploymentYaml();
        java.util.concurrent.atomic.AtomicInteger gatewayConflicts = new java.util.concurrent.atomic.AtomicInteger(1);
        api.onRequest(request -> "PATCH".equals(request.getMethod()) && request.getPath().contains("/aibrix-gateway-plugins")
                && gatewayConflicts.getAndDecrement() > 0
                ? new MockResponse().setResponseCode(409).setBody("{\"kind\":\"Status\",\"reason\":\"Conflict\",\"code\":409}"
                        .getBytes(StandardCharsets.UTF_8)) : null);
        ClusterMigration.RolledBackException e = assertThrows(ClusterMigration.RolledBackException.class,
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS,
                        apply(ClusterMigration.DryRun.NONE, null).withProgress(line -> {
                            if (line.contains("reading it again")) {
                                fabric8.apps().deployments().inNamespace("aibrix-system").withName("aibrix-gateway-plugins")
                                        .delete();
                            }
                        })));
        assertTrue(e.getMessage().startsWith("the gateway deployment.apps/aibrix-gateway-plugins is not in namespace"),
                e.getMessage());
        assertEquals(before.replaceAll("(?m)^  (resourceVersion|generation): .*\\n", ""),
                deploymentYaml().replaceAll("(?m)^  (resourceVersion|generation): .*\\n", ""));
    }
}
