package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** enable and disable against a real HTTP API server (fabric8's mock server in CRUD mode). */
class ClusterMigrationTest {
    private KubernetesMockServer server;
    private KubernetesClient fabric8;
    private KubeContext context;
    private final List<String> progress = new ArrayList<>();

    @TempDir
    Path dir;

    /** The CRUD dispatcher, answering SelfSubjectAccessReviews: patching Services is denied when {@code denyServices}. */
    private volatile boolean denyServices;
    /** A PATCH whose path contains this fails with HTTP 500 (a fault the CRUD server cannot make by itself). */
    private volatile String failPatchOf;
    /**
     * This many PATCHes of the model Deployment are answered 409 Conflict, as the API server answers when
     * someone else changed it since we read it (this server cannot be written to while it answers).
     */
    private final java.util.concurrent.atomic.AtomicInteger concurrentChanges = new java.util.concurrent.atomic.AtomicInteger();
    private final List<String> patchBodies = new java.util.concurrent.CopyOnWriteArrayList<>();

    @BeforeEach
    void start() throws Exception {
        KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher() {
            @Override
            public io.fabric8.mockwebserver.http.MockResponse dispatch(RecordedRequest request) {
                if (request.getPath().startsWith("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")) {
                    boolean services = request.getBody().readUtf8().contains("\"resource\":\"services\"");
                    return new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(201).setBody(
                            ("{\"kind\":\"SelfSubjectAccessReview\",\"status\":{\"allowed\":"
                                    + !(services && denyServices) + "}}").getBytes(StandardCharsets.UTF_8));
                }
                if ("PATCH".equals(request.getMethod()) && failPatchOf != null && request.getPath().contains(failPatchOf)) {
                    return new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(500).setBody(
                            "{\"kind\":\"Status\",\"message\":\"injected failure\",\"code\":500}".getBytes(StandardCharsets.UTF_8));
                }
                if ("PATCH".equals(request.getMethod())) {
                    patchBodies.add(new String(request.getBody().getBytes(), StandardCharsets.UTF_8)); // not read(): the server reads it next
                    if (request.getPath().contains("/deployments/llama-3-8b") && concurrentChanges.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                        return new io.fabric8.mockwebserver.http.MockResponse().setResponseCode(409).setBody(("{\"kind\":\"Status\","
                                + "\"reason\":\"Conflict\",\"message\":\"Operation cannot be fulfilled on deployments.apps"
                                + " \\\"llama-3-8b\\\": the object has been modified\",\"code\":409}").getBytes(StandardCharsets.UTF_8));
                    }
                }
                return super.dispatch(request);
            }
        };
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), crud, false);
        server.init();
        fabric8 = server.createClient();
        for (Map<String, Object> o : manifests()) {
            fabric8.load(new ByteArrayInputStream(Manifests.write(List.of(o)).getBytes(StandardCharsets.UTF_8))).create();
        }
        Path kubeconfig = dir.resolve("config");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [{name: t, cluster: {server: "%s"}}]
                users: [{name: u, user: {token: not-a-secret}}]
                contexts: [{name: t, context: {cluster: t, user: u, namespace: default}}]
                current-context: t
                """.formatted(fabric8.getConfiguration().getMasterUrl()));
        context = new KubeContext(List.of(kubeconfig), null, null, false);
        drainRequests();
    }

    @AfterEach
    void stop() {
        fabric8.close();
        server.destroy();
    }

    private static List<Map<String, Object>> manifests() {
        return Manifests.read(List.of(MigrationPlanTest.MANIFESTS.resolve("llama-deployment.yaml"),
                MigrationPlanTest.MANIFESTS.resolve("gateway-deployment.yaml")));
    }

    private List<String> drainRequests() throws InterruptedException {
        List<String> methods = new ArrayList<>();
        RecordedRequest r;
        while ((r = server.takeRequest(50, TimeUnit.MILLISECONDS)) != null) {
            methods.add(r.getMethod() + " " + r.getPath());
        }
        return methods;
    }

    /**
     * Nobody runs the controllers here: this plays the Deployment controller, marking both Deployments
     * rolled out shortly after enable has patched them.
     */
    private Thread rolloutsFinishSoon() {
        Thread controller = new Thread(() -> {
            try {
                Thread.sleep(700);
                var d = fabric8.apps().deployments().inNamespace("default").withName("llama-3-8b").get();
                d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withReplicas(2)
                        .withUpdatedReplicas(2).withAvailableReplicas(2).withReadyReplicas(2).build());
                fabric8.apps().deployments().inNamespace("default").resource(d).updateStatus();
                var g = fabric8.apps().deployments().inNamespace("aibrix-system").withName("aibrix-gateway-plugins").get();
                g.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withReplicas(1)
                        .withUpdatedReplicas(1).withAvailableReplicas(1).build());
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
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, ClusterMigration.DryRun.CLIENT, dir, progress::add);
        assertEquals(List.of("deployment.apps/llama-3-8b patched (client dry run)", "service/llama-3-8b patched (client dry run)",
                "deployment.apps/aibrix-gateway-plugins patched (client dry run)"), progress);
        List<String> requests = drainRequests();
        assertTrue(requests.stream().allMatch(r -> r.startsWith("GET ")), requests.toString());
        assertTrue(ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0).state() == ModelStatus.State.OFF);
    }

    @Test
    void serverDryRunSendsEveryPatchWithDryRunAll() throws Exception {
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, ClusterMigration.DryRun.SERVER, dir, progress::add);
        List<String> patches = drainRequests().stream().filter(r -> r.startsWith("PATCH ")).toList();
        assertEquals(3, patches.size(), patches.toString());
        assertTrue(patches.stream().allMatch(p -> p.contains("dryRun=All")), patches.toString());
    }

    @Test
    void enableBacksUpPatchesAndIsIdempotentThenDisableRestores() throws Exception {
        String before = deploymentYaml();
        Path backups = dir.resolve("backup");
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, ClusterMigration.DryRun.NONE, backups, progress::add);
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
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, ClusterMigration.DryRun.NONE, backups, progress::add);
        assertTrue(progress.stream().allMatch(l -> l.endsWith(" unchanged")), progress.toString());
        assertTrue(drainRequests().stream().noneMatch(r -> r.startsWith("PATCH ")));

        ClusterMigration.disable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, false, ClusterMigration.DryRun.NONE,
                null, null, l -> { });
        assertEquals(ModelStatus.State.OFF, ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0).state());
        String after = deploymentYaml().replaceAll("(?m)^  (resourceVersion|generation): .*\\n", "");
        assertEquals(before.replaceAll("(?m)^  (resourceVersion|generation): .*\\n", ""), after);
    }

    @Test
    void aFailureAfterSomePatchesRollsThemBack() throws Exception {
        String before = deploymentYaml();
        ClusterMigration.RolledBackException e = org.junit.jupiter.api.Assertions.assertThrows(
                ClusterMigration.RolledBackException.class,
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, ClusterMigration.DryRun.NONE,
                        dir.resolve("backup"), line -> {
                            progress.add(line);
                            if (line.equals("service/llama-3-8b patched")) {
                                // the gateway vanishes between its read and its patch: the third patch fails
                                fabric8.apps().deployments().inNamespace("aibrix-system").withName("aibrix-gateway-plugins").delete();
                            }
                        }));
        assertTrue(e.getMessage().endsWith("; rolled back 2 object(s)"), e.getMessage());
        assertTrue(progress.contains("deployment.apps/llama-3-8b rolled back"), progress.toString());
        assertTrue(progress.contains("service/llama-3-8b rolled back"), progress.toString());
        assertEquals(before.replaceAll("(?m)^  (resourceVersion|generation): .*\\n", ""),
                deploymentYaml().replaceAll("(?m)^  (resourceVersion|generation): .*\\n", ""));
        assertEquals(ModelStatus.State.OFF, ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0).state());
    }

    @Test
    void aPatchRbacDoesNotAllowIsRefusedBeforeAnyWrite() throws Exception {
        denyServices = true;
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, ClusterMigration.DryRun.NONE,
                        dir.resolve("backup"), progress::add));
        assertEquals("forbidden: you cannot patch services in namespace default (service/llama-3-8b); nothing was changed:"
                + " ask for RBAC that allows patch on services", e.getMessage());
        assertTrue(drainRequests().stream().noneMatch(r -> r.startsWith("PATCH ")));
        assertTrue(progress.isEmpty(), progress.toString());
    }

    @Test
    void waitingForTheRolloutSucceedsWhenThePodsComeUp() throws Exception {
        Thread controller = rolloutsFinishSoon();
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, ClusterMigration.DryRun.NONE,
                dir.resolve("b1"), java.time.Duration.ofSeconds(20), progress::add);
        controller.join();
        assertTrue(progress.contains("deployment.apps/llama-3-8b rolled out"), progress.toString());
        assertTrue(progress.contains("deployment.apps/aibrix-gateway-plugins rolled out"), progress.toString());
    }

    @Test
    void aRolloutThatDoesNotFinishInTimeRollsEverythingBack() {
        ClusterMigration.RolledBackException e = org.junit.jupiter.api.Assertions.assertThrows(
                ClusterMigration.RolledBackException.class,
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, ClusterMigration.DryRun.NONE,
                        dir.resolve("b2"), java.time.Duration.ofSeconds(1), progress::add));
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
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, ClusterMigration.DryRun.NONE,
                        dir.resolve("b3"), java.time.Duration.ofSeconds(20), java.time.Duration.ofSeconds(8), progress::add));
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
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, ClusterMigration.DryRun.NONE,
                        dir.resolve("backup"), progress::add));
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
        ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, ClusterMigration.DryRun.NONE,
                dir.resolve("backup"), progress::add);
        assertTrue(progress.contains("deployment.apps/llama-3-8b changed while it was being patched; reading it again"
                + " (attempt 2 of 3)"), progress.toString());
        assertEquals(ModelStatus.State.ENABLED, ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0).state());
        // every patch first tests the resourceVersion it was planned from: a change made meanwhile fails it
        assertEquals(4, patchBodies.size(), patchBodies.toString());
        assertTrue(patchBodies.stream().allMatch(b -> b.startsWith("[{\"op\":\"test\",\"path\":\"/metadata/resourceVersion\"")),
                patchBodies.toString());
    }

    @Test
    void aWriterThatKeepsChangingTheObjectIsReportedAndNothingIsChanged() throws Exception {
        String before = deploymentYaml();
        concurrentChanges.set(3);
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> ClusterMigration.enable(context, "llama-3-8b", MigrationPlanTest.OPTIONS, ClusterMigration.DryRun.NONE,
                        dir.resolve("backup"), progress::add));
        assertEquals("deployment.apps/llama-3-8b changed while it was being patched; gave up after 3 attempts (nothing was"
                + " changed)", e.getMessage());
        assertEquals(before, deploymentYaml());
    }
}
