package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.mockwebserver.http.MockResponse;
import io.kvevents.cli.CliHarness.Result;
import io.kvevents.sdk.FakeApiServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: canary and blue-green against the CRUD API server (a stand-in Deployment controller marks rollouts done),
 * as a new user runs them: a canary at 10 %, resized to 50 %, promoted; another aborted; a blue-green cut over and
 * rolled back; failures injected at each write, each leaving the model at full capacity and the log saying what
 * happened.
 */
class RolloutsTest {
    private static final String TOKENIZER = "http://tokenizer.example.com:8080";

    @TempDir
    Path dir;

    private FakeApiServer api;
    private String kubeconfig;

    @BeforeEach
    void cluster() throws Exception {
        api = new FakeApiServer();
        for (String f : List.of("llama-deployment.yaml", "gateway-deployment.yaml")) {
            api.create(Files.readString(EnableDisableLocalTest.MANIFESTS.resolve(f)));
        }
        api.client.apps().deployments().inNamespace("default").withName("llama-3-8b").edit(d -> {
            d.getSpec().setReplicas(10);
            return d;
        });
        api.runDeploymentController();
        kubeconfig = api.kubeconfig(dir, "default").toString();
    }

    @AfterEach
    void stop() throws Exception {
        api.close();
        Files.deleteIfExists(io.kvevents.sdk.MigrationLog.localFile());
    }

    private Result kvevents(String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--kubeconfig", kubeconfig, "--backup-dir", dir.resolve("backup").toString()));
        if (all.get(0).equals("enable") || all.get(0).equals("disable")) {
            all.addAll(List.of("--timeout", "30s")); // bounds the waits a promotion or a rollback makes of itself
        }
        return CliHarness.run(all.toArray(String[]::new));
    }

    private Deployment deployment(String name) {
        return api.client.apps().deployments().inNamespace("default").withName(name).get();
    }

    private Deployment gateway() {
        return api.client.apps().deployments().inNamespace("aibrix-system").withName("aibrix-gateway-plugins").get();
    }

    private int replicas(String name) {
        Deployment d = deployment(name);
        return d == null ? 0 : d.getSpec().getReplicas();
    }

    private static String args(Deployment d) {
        return String.join(" ", d.getSpec().getTemplate().getSpec().getContainers().get(0).getArgs());
    }

    private List<String> history(String model) {
        Result h = CliHarness.run("history", model, "--kubeconfig", kubeconfig, "-o", "json");
        assertEquals(0, h.exitCode(), h.err());
        List<String> out = new ArrayList<>();
        for (JsonElement e : JsonParser.parseString(h.out()).getAsJsonArray()) {
            var o = e.getAsJsonObject();
            out.add(o.get("action").getAsString() + ": " + o.get("from").getAsString() + " -> " + o.get("to").getAsString()
                    + " " + o.get("result").getAsString());
        }
        return out;
    }

    @Test
    void aCanaryAtTenPercentIsResizedToHalfAndPromoted() {
        Deployment original = deployment("llama-3-8b");
        Result canary = kvevents("enable", "llama-3-8b", "--canary", "10%", "--tokenizer", TOKENIZER, "--skip-verify");
        assertEquals(0, canary.exitCode(), canary.err());
        assertTrue(canary.out().startsWith("deployment.apps/llama-3-8b-kvevents-canary created (1 replicas, KV events on)\n"),
                canary.out());
        Deployment c = deployment("llama-3-8b-kvevents-canary");
        assertEquals(1, c.getSpec().getReplicas());
        assertEquals("canary", c.getSpec().getSelector().getMatchLabels().get("kvevents.io/track"));
        assertEquals("llama-3-8b", c.getSpec().getSelector().getMatchLabels().get("app"));
        var podLabels = c.getSpec().getTemplate().getMetadata().getLabels();
        assertEquals("llama-3-8b", podLabels.get("app"), "the Service still selects the canary's pods");
        assertEquals("true", podLabels.get("model.aibrix.ai/kv-events-enabled"));
        assertEquals("canary", podLabels.get("kvevents.io/track"));
        assertTrue(args(c).contains("--kv-events-config"), args(c));
        Deployment stable = deployment("llama-3-8b");
        assertEquals(9, stable.getSpec().getReplicas(), "the replicas add up to the original 10");
        assertEquals(original.getSpec().getTemplate(), stable.getSpec().getTemplate(), "the stable pods are untouched");
        assertFalse(stable.getSpec().getSelector().getMatchLabels().containsKey("kvevents.io/track"));

        // -l never enables a model behind its canary's back, nor takes the canary for a model
        Result selected = kvevents("enable", "-l", "app=llama-3-8b", "--skip-verify");
        assertEquals(1, selected.exitCode(), selected.out());
        assertTrue(selected.err().contains("warning: llama-3-8b is in a canary rollout: left alone (enable llama-3-8b"
                + " promotes it)"), selected.err());
        assertFalse(args(deployment("llama-3-8b")).contains("--kv-events-config"));
        Result resized = kvevents("enable", "llama-3-8b", "--canary", "50%", "--skip-verify");
        assertEquals(0, resized.exitCode(), resized.err());
        assertEquals(5, replicas("llama-3-8b-kvevents-canary"));
        assertEquals(5, replicas("llama-3-8b"));
        // the canary grew and rolled out first, then the stable one shrank: capacity never below 10
        assertEquals(List.of("deployment.apps/llama-3-8b-kvevents-canary scaled to 5",
                "deployment.apps/llama-3-8b-kvevents-canary rolled out", "deployment.apps/llama-3-8b scaled to 5"),
                resized.outLines().stream().filter(l -> !l.endsWith("pods updated")).toList());

        // no engine runs here to verify (DoctorCommandTest and PodCommandsTest reach real peers through pods)
        Result promoted = kvevents("enable", "llama-3-8b", "--skip-verify");
        assertEquals(0, promoted.exitCode(), promoted.out() + promoted.err());
        List<String> lines = promoted.outLines();
        assertEquals("deployment.apps/llama-3-8b scaled to 10", lines.get(0), promoted.out());
        assertTrue(lines.indexOf("deployment.apps/llama-3-8b rolled out") < lines.indexOf(
                "deployment.apps/llama-3-8b-kvevents-canary deleted"), "the canary goes only after the stable rolled out: "
                + promoted.out());
        assertNull(deployment("llama-3-8b-kvevents-canary"));
        Deployment done = deployment("llama-3-8b");
        assertEquals(10, done.getSpec().getReplicas());
        assertTrue(args(done).contains("--kv-events-config"), args(done));
        assertNull(done.getMetadata().getAnnotations().get("kvevents.io/rollout"));

        assertEquals(List.of("canary: off -> canary 1/10 ok", "resize: canary 1/10 -> canary 5/10 ok",
                "promote: canary 5/10 -> enabled 10/10 ok"), history("llama-3-8b"));
        Result table = CliHarness.run("history", "--kubeconfig", kubeconfig);
        assertTrue(table.outLines().get(1).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ +fake +default +llama-3-8b +canary"
                + " +off +canary 1/10 +ok"), table.out());
    }

    @Test
    void anAbortedCanaryGivesBackTheOriginalExactly() {
        Deployment model = deployment("llama-3-8b");
        var service = api.client.services().inNamespace("default").withName("llama-3-8b").get();
        var gateway = gateway();
        Result started = kvevents("enable", "llama-3-8b", "--canary", "3", "--tokenizer", TOKENIZER, "--skip-verify");
        assertEquals(0, started.exitCode(), started.out() + started.err());
        assertEquals(3, replicas("llama-3-8b-kvevents-canary"));
        assertEquals(7, replicas("llama-3-8b"));
        Result aborted = kvevents("disable", "llama-3-8b");
        assertEquals(0, aborted.exitCode(), aborted.err());
        List<String> steps = aborted.outLines();
        assertEquals("deployment.apps/llama-3-8b scaled to 10", steps.get(0), "capacity first: " + aborted.out());
        assertTrue(steps.indexOf("deployment.apps/llama-3-8b rolled out") < steps.indexOf(
                "deployment.apps/llama-3-8b-kvevents-canary deleted"), "the stable serves again before the canary goes: "
                + aborted.out());
        assertEquals("deployment.apps/llama-3-8b: rollout record removed", steps.get(steps.size() - 1), aborted.out());
        assertNull(deployment("llama-3-8b-kvevents-canary"));
        Deployment after = deployment("llama-3-8b");
        assertEquals(model.getSpec(), after.getSpec());
        assertEquals(model.getMetadata().getLabels(), after.getMetadata().getLabels());
        assertEquals(model.getMetadata().getAnnotations(), after.getMetadata().getAnnotations());
        assertEquals(service.getSpec(), api.client.services().inNamespace("default").withName("llama-3-8b").get().getSpec());
        assertEquals(gateway.getSpec().getTemplate(), gateway().getSpec().getTemplate());
        assertEquals(List.of("canary: off -> canary 3/10 ok", "abort: canary 3/10 -> off 10/10 ok"), history("llama-3-8b"));
    }

    @Test
    void aBlueGreenRolloutIsCutOverAndRolledBack() {
        Deployment blue = deployment("llama-3-8b");
        Result green = kvevents("enable", "llama-3-8b", "--blue-green", "--tokenizer", TOKENIZER, "--skip-verify");
        assertEquals(0, green.exitCode(), green.err());
        assertEquals(10, replicas("llama-3-8b-kvevents-green"));
        assertEquals(10, replicas("llama-3-8b"), "blue keeps serving beside green");
        assertEquals("green", deployment("llama-3-8b-kvevents-green").getSpec().getTemplate().getMetadata().getLabels()
                .get("kvevents.io/track"));
        // green short of replicas (someone scaled it down): the cut-over refuses, blue keeps serving
        api.client.apps().deployments().inNamespace("default").withName("llama-3-8b-kvevents-green").scale(4);
        Result refused = kvevents("enable", "llama-3-8b", "--skip-verify");
        assertEquals(1, refused.exitCode(), refused.out());
        assertTrue(refused.err().contains("deployment.apps/llama-3-8b-kvevents-green has 4 of 10 replicas: blue stays"),
                refused.err());
        assertEquals(10, replicas("llama-3-8b"));
        api.client.apps().deployments().inNamespace("default").withName("llama-3-8b-kvevents-green").scale(10);
        Result cut = kvevents("enable", "llama-3-8b", "--skip-verify");
        assertEquals(0, cut.exitCode(), cut.err());
        assertEquals(0, replicas("llama-3-8b"), "blue at 0, kept");
        assertEquals(10, replicas("llama-3-8b-kvevents-green"));
        Result back = kvevents("disable", "llama-3-8b");
        assertEquals(0, back.exitCode(), back.err());
        List<String> lines = back.outLines();
        assertTrue(lines.indexOf("deployment.apps/llama-3-8b rolled out") < lines.indexOf(
                "deployment.apps/llama-3-8b-kvevents-green deleted"), "blue serves again before green goes: " + back.out());
        assertNull(deployment("llama-3-8b-kvevents-green"));
        assertEquals(blue.getSpec(), deployment("llama-3-8b").getSpec());
        assertEquals(blue.getMetadata().getAnnotations(), deployment("llama-3-8b").getMetadata().getAnnotations());
        assertEquals(List.of("blue-green: off -> blue 10 + green 10 ok", "cut-over: blue 10 + green 10 -> green 10, blue 0 (kept) ok",
                "rollback: green 10, blue 0 (kept) -> off 10/10 ok"), history("llama-3-8b"));
    }

    @Test
    void compareReadsBothTracksFromTheEnginesOwnMetricsAndGivesTheVerdict() throws Exception {
        assertEquals(0, kvevents("enable", "llama-3-8b", "--canary", "20%", "--tokenizer", TOKENIZER, "--skip-verify").exitCode());
        try (var stable1 = io.kvevents.testing.VllmMetricsPeer.start("--model", "llama-3-8b");
                var stable2 = io.kvevents.testing.VllmMetricsPeer.start("--model", "llama-3-8b");
                var canary = io.kvevents.testing.VllmMetricsPeer.start("--model", "llama-3-8b")) {
            stable1.serve(50, 10, 2.0, "stop"); // before the window: not counted
            api.podOf("default", "llama-3-8b", "llama-3-8b-a", true, java.util.Map.of(8000, stable1.port()));
            api.podOf("default", "llama-3-8b", "llama-3-8b-b", true, java.util.Map.of(8000, stable2.port()));
            api.podOf("default", "llama-3-8b-kvevents-canary", "llama-3-8b-kvevents-canary-a", true,
                    java.util.Map.of(8000, canary.port()));
            var compare = java.util.concurrent.CompletableFuture.supplyAsync(() -> CliHarness.run("compare", "llama-3-8b",
                    "--kubeconfig", kubeconfig, "--window", "5s"));
            Thread.sleep(2500);
            stable1.serve(10, 40, 0.2, "stop");
            stable2.serve(10, 40, 0.2, "stop");
            canary.serve(10, 77, 0.1, "stop");
            canary.serve(1, 0, 0.1, "abort");
            Result r = compare.get(60, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(0, r.exitCode(), r.err());
            // 770 of 1,100 prompt tokens against 800 of 2,000; first tokens in (0.08, 0.1] and (0.1, 0.25], interpolated
            // as histogram_quantile does
            assertEquals(List.of(
                    "TRACK    PODS   PROMPT-TOKENS   HIT-RATE   TTFT-P50   REQUESTS   ERRORS",
                    "canary   1      1100            70.0%      90ms       11         9.1%",
                    "stable   2      2000            40.0%      175ms      20         0.0%",
                    "",
                    "canary hit rate +30.0 pp (70.0 % vs 40.0 %), TTFT p50 −85 ms (90 ms vs 175 ms), errors 9.1 % vs 0.0 %"),
                    r.outLines());
        }
        // the stable Deployment's own pods leave the canary's out, though its selector matches them too
        try (io.kvevents.sdk.ModelPods stablePods = io.kvevents.sdk.ModelPods.find(new io.kvevents.sdk.KubeContext(
                List.of(Path.of(kubeconfig)), null, "default", false), "llama-3-8b")) {
            assertEquals(List.of("llama-3-8b-a", "llama-3-8b-b"), stablePods.ready());
        }
        Result none = CliHarness.run("compare", "aibrix-gateway-plugins", "--kubeconfig", kubeconfig, "-n", "aibrix-system",
                "--window", "1s");
        assertEquals(1, none.exitCode());
        assertEquals("error: deployment.apps/aibrix-gateway-plugins is in no canary or blue-green rollout: start one with"
                + " kubectl kvevents enable aibrix-gateway-plugins --canary 10% (or --blue-green)", none.err().strip());
    }

    @Test
    void threeModelsRollOneAtATimeAndASoakFailureRollsThatOneBackAndStops() throws Exception {
        for (String m : List.of("model-a", "model-b", "model-c")) {
            api.create("""
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: %1$s, namespace: default, labels: {tier: gpu}}
                    spec:
                      replicas: 1
                      selector: {matchLabels: {app: %1$s}}
                      template:
                        metadata: {labels: {app: %1$s, model.aibrix.ai/name: %1$s}}
                        spec:
                          containers:
                          - {name: vllm, image: "vllm/vllm-openai:v0.11.0", command: [vllm, serve], args: [%1$s]}
                    """.formatted(m));
            api.podOf("default", m, m + "-0", true, java.util.Map.of());
        }
        // model-b's pod crashes once it runs the enabled template, while it soaks
        Thread chaos = new Thread(() -> {
            long until = System.nanoTime() + 60_000_000_000L;
            while (System.nanoTime() < until) {
                Deployment b = deployment("model-b");
                if (args(b).contains("--kv-events-config")) {
                    try {
                        Thread.sleep(300);
                    } catch (InterruptedException e) {
                        return;
                    }
                    api.crashLoop("default", "model-b-0", "vllm", 1, 1, "Error");
                    return;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        chaos.start();
        Result r = kvevents("enable", "-l", "tier=gpu", "--one-at-a-time", "--soak", "2s", "--skip-verify", "--tokenizer",
                TOKENIZER);
        chaos.join();
        assertEquals(3, r.exitCode(), r.out() + r.err());
        assertTrue(r.out().contains("== model-a (1 of 3)") && r.out().contains("deployment.apps/model-a soaked 2s: every"
                + " replica ready, no restart") && r.out().contains("== model-b (2 of 3)"), r.out());
        assertTrue(r.err().contains("model-b: pod model-b-0 of model-b restarted while it soaked (0 → 1 restarts)"), r.err());
        assertTrue(r.err().contains("rolled back with disable; enabled before it: model-a; not attempted: model-c"), r.err());
        assertTrue(args(deployment("model-a")).contains("--kv-events-config"));
        assertFalse(args(deployment("model-b")).contains("--kv-events-config"), "model-b rolled back");
        assertFalse(args(deployment("model-c")).contains("--kv-events-config"), "model-c not attempted");
        assertEquals(List.of("enable (one at a time): not enabled -> enabled, soaked 2s ok"), history("model-a"));
        assertEquals(List.of("enable (one at a time): not enabled -> not enabled rolled back"), history("model-b"));
        assertEquals(List.of(), history("model-c"));
    }

    @Test
    void aCanaryOfAModelThatHasEventsAlreadyIsRefused() {
        assertEquals(0, kvevents("enable", "llama-3-8b", "--tokenizer", TOKENIZER).exitCode());
        Result r = kvevents("enable", "llama-3-8b", "--canary", "10%", "--skip-verify");
        assertEquals(1, r.exitCode(), r.out());
        assertEquals("error: deployment.apps/llama-3-8b has KV events on already: a canary compares a Deployment without"
                + " them against one with them (disable llama-3-8b first)", r.err().strip());
        assertNull(deployment("llama-3-8b-kvevents-canary"));
        Result dry = kvevents("disable", "llama-3-8b", "--dry-run=client");
        assertEquals(0, dry.exitCode(), dry.err());
    }

    /** Fails the {@code n}th PATCH whose path contains {@code path} with a 500. */
    private void failPatch(String path, int n) {
        AtomicInteger seen = new AtomicInteger();
        api.onRequest(r -> "PATCH".equals(r.getMethod()) && r.getPath().contains(path) && seen.incrementAndGet() == n
                ? new MockResponse().setResponseCode(500).setBody(("{\"kind\":\"Status\",\"status\":\"Failure\","
                        + "\"message\":\"etcdserver: request timed out\",\"code\":500}").getBytes(StandardCharsets.UTF_8))
                : null);
    }

    @Test
    void aFailureAtEachWriteOfACanaryLeavesTheModelAtFullCapacity() {
        Deployment model = deployment("llama-3-8b");
        var gateway = gateway();
        // the gateway's patch, the stable's scale: each failure undoes the canary and everything it wrote
        for (String failing : List.of("/deployments/aibrix-gateway-plugins", "/deployments/llama-3-8b")) {
            failPatch(failing, 1);
            Result r = kvevents("enable", "llama-3-8b", "--canary", "20%", "--tokenizer", TOKENIZER, "--skip-verify");
            assertEquals(3, r.exitCode(), failing + ": " + r.out() + r.err());
            assertTrue(r.err().contains("etcdserver: request timed out") && r.err().contains("rolled back"), r.err());
            assertNull(deployment("llama-3-8b-kvevents-canary"), failing);
            assertEquals(model.getSpec(), deployment("llama-3-8b").getSpec(), failing);
            assertEquals(gateway.getSpec().getTemplate(), gateway().getSpec().getTemplate(), failing);
            api.onRequest(req -> null);
        }
        List<String> log = history("llama-3-8b");
        assertEquals(List.of("canary: off -> off rolled back", "canary: off -> off rolled back"), log);

        // a promotion whose enable fails: the stable goes back to its share, the canary keeps serving
        Result again = kvevents("enable", "llama-3-8b", "--canary", "20%", "--tokenizer", TOKENIZER, "--skip-verify");
        assertEquals(0, again.exitCode(), again.out() + again.err());
        // enable's own patch of the stable Deployment (the one that writes --kv-events-config) fails
        api.onRequest(r -> "PATCH".equals(r.getMethod()) && r.getPath().endsWith("/deployments/llama-3-8b")
                && new String(r.getBody().getBytes(), StandardCharsets.UTF_8).contains("kv-events-config")
                ? new MockResponse().setResponseCode(500).setBody(("{\"kind\":\"Status\",\"status\":\"Failure\","
                        + "\"message\":\"etcdserver: request timed out\",\"code\":500}").getBytes(StandardCharsets.UTF_8))
                : null);
        Result promote = kvevents("enable", "llama-3-8b", "--skip-verify");
        assertEquals(3, promote.exitCode(), promote.out() + promote.err());
        api.onRequest(req -> null);
        assertEquals(8, replicas("llama-3-8b"));
        assertEquals(2, replicas("llama-3-8b-kvevents-canary"));
        assertFalse(args(deployment("llama-3-8b")).contains("--kv-events-config"));
        assertEquals("promote: canary 2/10 -> canary 2/10 rolled back", history("llama-3-8b").get(3));
        JsonArray json = JsonParser.parseString(CliHarness.run("history", "llama-3-8b", "--kubeconfig", kubeconfig, "-o",
                "json").out()).getAsJsonArray();
        assertTrue(json.get(3).getAsJsonObject().get("detail").getAsString().contains("etcdserver: request timed out"),
                json.toString());
    }

    /**
     * A promotion whose enable cannot undo its write of the model's Deployment (its rollout never ends, then the undo's
     * patch fails) leaves the cluster half-applied: a failure (exit 1) that the history records as failed, not exit 3
     * "rolled back" (found in review: the promotion turned every failure of its enable into a rollback).
     */
    @Test
    void aPromotionThatCannotUndoItsEnableIsAFailureNotARollback() {
        Result canary = kvevents("enable", "llama-3-8b", "--canary", "20%", "--tokenizer", TOKENIZER, "--skip-verify");
        assertEquals(0, canary.exitCode(), canary.out() + canary.err());
        api.pauseDeploymentController(true);
        java.util.concurrent.atomic.AtomicInteger modelPatches = new java.util.concurrent.atomic.AtomicInteger();
        // the model's patches: 1 the stable scaled up, 2 enable's write, 3 its undo (fails), 4 the stable scaled back
        api.onRequest(r -> "PATCH".equals(r.getMethod()) && r.getPath().endsWith("/deployments/llama-3-8b")
                && modelPatches.incrementAndGet() == 3
                ? new MockResponse().setResponseCode(500).setBody(("{\"kind\":\"Status\",\"status\":\"Failure\","
                        + "\"message\":\"etcdserver: request timed out\",\"code\":500}").getBytes(StandardCharsets.UTF_8))
                : null);
        Result promote = CliHarness.run("enable", "llama-3-8b", "--skip-verify", "--kubeconfig", kubeconfig,
                "--backup-dir", dir.resolve("backup").toString(), "--timeout", "2s");
        api.onRequest(req -> null);
        api.pauseDeploymentController(false);
        assertEquals(1, promote.exitCode(), promote.out() + promote.err());
        assertTrue(promote.err().contains("could not roll back [deployment.apps/llama-3-8b: "),
                "stderr: " + promote.err() + "\nstdout: " + promote.out());
        assertEquals("promote: canary 2/10 -> canary 2/10 failed", history("llama-3-8b").get(1));
    }

    /**
     * AIBrix's model router deletes the model's HTTPRoute when any Deployment that names the model is deleted, whatever
     * else still serves it (e3e10f9 pkg/controller/modelrouter/modelrouter_controller.go: {@code DeleteFunc:
     * deleteRouteFromDeployment} → {@code deleteHTTPRoute(namespace, deployment.Labels, deployment.Annotations)}), and
     * the gateway finds a model's pods by the pods' own label (ModelNameFromMetadata): the canary names the model on its
     * pods only, and a canary an older kvevents made loses the name before it is deleted. Found in review: a promotion
     * or an abort left every request without a routing strategy answered 503. The canary also leaves behind what would
     * make another tool own or prune it, and a paused stable's {@code spec.paused} (a paused Deployment makes no pods).
     */
    @Test
    void theCanaryNamesTheModelOnItsPodsOnlySoDeletingItKeepsTheGatewaysRoute() throws InterruptedException {
        api.client.apps().deployments().inNamespace("default").withName("llama-3-8b").edit(d -> {
            d.getMetadata().getLabels().put("app.kubernetes.io/instance", "llama-app");
            d.getMetadata().setAnnotations(new java.util.HashMap<>(java.util.Map.of(
                    "kubectl.kubernetes.io/last-applied-configuration", "{}",
                    "argocd.argoproj.io/tracking-id", "llama-app:apps/Deployment:default/llama-3-8b",
                    "meta.helm.sh/release-name", "llama")));
            d.getMetadata().setOwnerReferences(List.of(new io.fabric8.kubernetes.api.model.OwnerReferenceBuilder()
                    .withApiVersion("serving.example.com/v1").withKind("ModelServer").withName("llama").withUid("u-1").build()));
            d.getSpec().setPaused(true);
            return d;
        });
        java.util.concurrent.BlockingQueue<Deployment> deleted = new java.util.concurrent.LinkedBlockingQueue<>();
        try (var watch = api.client.apps().deployments().inNamespace("default").watch(new io.fabric8.kubernetes.client.Watcher<>() {
            @Override
            public void eventReceived(Action action, Deployment d) {
                if (action == Action.DELETED) {
                    deleted.add(d); // what AIBrix's DeleteFunc is handed: the object's last state
                }
            }

            @Override
            public void onClose(io.fabric8.kubernetes.client.WatcherException cause) {
            }
        })) {
            Result canary = kvevents("enable", "llama-3-8b", "--canary", "20%", "--tokenizer", TOKENIZER, "--skip-verify");
            assertEquals(0, canary.exitCode(), canary.out() + canary.err());
            Deployment c = deployment("llama-3-8b-kvevents-canary");
            assertEquals("llama-3-8b", c.getSpec().getTemplate().getMetadata().getLabels().get("model.aibrix.ai/name"),
                    "the gateway routes to the canary's pods by their label");
            assertFalse(c.getMetadata().getLabels().containsKey("model.aibrix.ai/name"), c.getMetadata().toString());
            assertFalse(c.getMetadata().getLabels().containsKey("app.kubernetes.io/instance"), c.getMetadata().toString());
            assertEquals("llama-3-8b", c.getMetadata().getAnnotations().get("kvevents.io/track-of"));
            for (String gone : List.of("model.aibrix.ai/name", "kubectl.kubernetes.io/last-applied-configuration",
                    "argocd.argoproj.io/tracking-id", "meta.helm.sh/release-name")) {
                assertFalse(c.getMetadata().getAnnotations().containsKey(gone), gone);
            }
            assertTrue(c.getMetadata().getOwnerReferences() == null || c.getMetadata().getOwnerReferences().isEmpty());
            assertNull(c.getSpec().getPaused(), "a paused canary would never make a pod");
            assertEquals(Boolean.TRUE, deployment("llama-3-8b").getSpec().getPaused(), "the stable is left as it was");

            // a canary as kvevents 0.1 made it: the model's name on the Deployment too
            api.client.apps().deployments().inNamespace("default").withName("llama-3-8b-kvevents-canary").edit(d -> {
                d.getMetadata().getLabels().put("model.aibrix.ai/name", "llama-3-8b");
                return d;
            });
            // the stable, paused: a promotion, which must roll its template out, is refused before any write
            Result refused = kvevents("enable", "llama-3-8b", "--skip-verify");
            assertEquals(1, refused.exitCode(), refused.out() + refused.err());
            assertEquals("error: deployment.apps/llama-3-8b is paused: it rolls nothing out until it is resumed (kubectl"
                    + " rollout resume deployment/llama-3-8b): its promotion could not roll out; nothing was changed:"
                    + " resume it first", refused.err().strip());
            assertFalse(args(deployment("llama-3-8b")).contains("--kv-events-config"));
            assertEquals(8, replicas("llama-3-8b"), "untouched beside the canary");
            api.client.apps().deployments().inNamespace("default").withName("llama-3-8b").edit(d -> {
                d.getSpec().setPaused(null); // kubectl rollout resume
                return d;
            });
            Result promoted = kvevents("enable", "llama-3-8b", "--skip-verify");
            assertEquals(0, promoted.exitCode(), promoted.out() + promoted.err());
            assertNull(deployment("llama-3-8b-kvevents-canary"));
            Deployment last = deleted.poll(5, java.util.concurrent.TimeUnit.SECONDS);
            assertTrue(last != null && deleted.isEmpty(), "one Deployment deleted");
            assertEquals("llama-3-8b-kvevents-canary", last.getMetadata().getName());
            assertFalse(last.getMetadata().getLabels().containsKey("model.aibrix.ai/name"),
                    "AIBrix would delete the model's route: " + last.getMetadata());
            assertTrue(last.getMetadata().getAnnotations() == null
                    || !last.getMetadata().getAnnotations().containsKey("model.aibrix.ai/name"));
        }
    }

    /**
     * A paused Deployment still scales (its controller's sync scales it; only a new template waits for a resume): a
     * canary of a paused model is aborted, the stable back at its replicas and still paused, as the user left it.
     * Found in review: the rollout wait stopped at a paused Deployment even when it only scaled.
     */
    @Test
    void aCanaryOfAPausedModelIsAbortedAndTheModelStaysPaused() {
        api.client.apps().deployments().inNamespace("default").withName("llama-3-8b").edit(d -> {
            d.getSpec().setPaused(true);
            return d;
        });
        Result canary = kvevents("enable", "llama-3-8b", "--canary", "30%", "--tokenizer", TOKENIZER, "--skip-verify");
        assertEquals(0, canary.exitCode(), canary.out() + canary.err());
        Result aborted = kvevents("disable", "llama-3-8b");
        assertEquals(0, aborted.exitCode(), aborted.out() + aborted.err());
        assertNull(deployment("llama-3-8b-kvevents-canary"));
        assertEquals(10, replicas("llama-3-8b"));
        assertEquals(Boolean.TRUE, deployment("llama-3-8b").getSpec().getPaused());
    }

    /**
     * An autoscaler owns its target's {@code spec.replicas} and counts every pod the target's selector matches
     * (k8s.io/kubernetes pkg/controller/podautoscaler/horizontal.go computeReplicasForMetrics: the pods of
     * {@code scale.Status.Selector}, the Deployment's selector; kubernetes/kubernetes#124307): it would undo a canary's
     * split and count the canary's pods as the stable's. The
     * rollout is refused before anything is written.
     */
    @Test
    void aRolloutOfAnAutoscaledModelIsRefusedBeforeAnyWrite() {
        Deployment model = deployment("llama-3-8b");
        api.client.autoscaling().v2().horizontalPodAutoscalers().inNamespace("default").resource(
                new io.fabric8.kubernetes.api.model.autoscaling.v2.HorizontalPodAutoscalerBuilder()
                        .withNewMetadata().withName("llama-hpa").withNamespace("default").endMetadata()
                        .withNewSpec().withMinReplicas(2).withMaxReplicas(20)
                        .withNewScaleTargetRef().withApiVersion("apps/v1").withKind("Deployment").withName("llama-3-8b")
                        .endScaleTargetRef().endSpec().build()).create();
        for (String strategy : List.of("--canary=10%", "--blue-green")) {
            Result r = kvevents("enable", "llama-3-8b", strategy, "--tokenizer", TOKENIZER, "--skip-verify");
            assertEquals(1, r.exitCode(), strategy + ": " + r.out());
            assertTrue(r.err().startsWith("error: deployment.apps/llama-3-8b is scaled by"
                    + " horizontalpodautoscaler.autoscaling/llama-hpa, which sets the replicas"), r.err());
            assertTrue(r.err().contains("nothing was changed"), r.err());
            assertEquals(model.getSpec(), deployment("llama-3-8b").getSpec(), strategy);
            assertNull(deployment("llama-3-8b-kvevents-canary"));
            assertNull(deployment("llama-3-8b-kvevents-green"));
        }
    }

    private void status(String name, int ready, String available, String reason) {
        Deployment d = deployment(name);
        int want = d.getSpec().getReplicas();
        d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder()
                .withObservedGeneration(d.getMetadata().getGeneration()).withReplicas(want).withUpdatedReplicas(want)
                .withReadyReplicas(ready).withAvailableReplicas(ready)
                .addNewCondition().withType("Available").withStatus(available).withReason(reason).endCondition()
                .addNewCondition().withType("Progressing").withStatus("True").withReason("NewReplicaSetAvailable")
                .endCondition().build());
        api.client.apps().deployments().inNamespace("default").resource(d).updateStatus();
    }

    /**
     * A replacement pod (an eviction, a node drain) may take minutes to load a model: a soak rides out replicas short
     * while the Deployment stays within its availability (the Deployment controller keeps condition Available True
     * while no more than maxUnavailable are missing, k8s pkg/controller/deployment/sync.go), and fails as soon as it is
     * under it (Available False, MinimumReplicasUnavailable). Found in review: three looks short of a replica (15 s at
     * most) failed a healthy model, and one-at-a-time rolled it back.
     */
    @Test
    void aSoakRidesOutAReplacementPodAndFailsUnderMinimumAvailability() {
        api.pauseDeploymentController(true);
        io.kvevents.sdk.KubeContext context = new io.kvevents.sdk.KubeContext(List.of(Path.of(kubeconfig)), null, null, false);
        status("llama-3-8b", 9, "True", "MinimumReplicasAvailable");
        List<String> progress = new ArrayList<>();
        io.kvevents.sdk.Rollouts.soak(context, "llama-3-8b", java.time.Duration.ofSeconds(2), progress::add);
        assertEquals("deployment.apps/llama-3-8b soaked 2s: 9 of 10 replicas ready at the end, within its availability,"
                + " no restart",
                progress.get(progress.size() - 1));
        status("llama-3-8b", 5, "False", "MinimumReplicasUnavailable");
        IllegalStateException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> io.kvevents.sdk.Rollouts.soak(context, "llama-3-8b", java.time.Duration.ofSeconds(2), progress::add));
        assertEquals("deployment.apps/llama-3-8b has 5 of 10 replicas ready, under its minimum availability, for 1.5s"
                + " while it soaks", e.getMessage());
    }

    /**
     * doctor during a canary: the stable Deployment keeps KV events off by design, so its event checks are not failures
     * (their fix, enable, would promote the canary); the canary is examined as a Deployment of its own. Found in review:
     * doctor failed the stable's configuration and labels for the whole rollout, so it could not gate one.
     */
    @Test
    void doctorDuringACanaryExaminesTheCanaryAndSaysTheStableIsOffByDesign() {
        Result canary = kvevents("enable", "llama-3-8b", "--canary", "20%", "--tokenizer", TOKENIZER, "--skip-verify");
        assertEquals(0, canary.exitCode(), canary.out() + canary.err());
        Result doctor = CliHarness.run("doctor", "llama-3-8b", "--kubeconfig", kubeconfig, "-o", "json", "--look", "1s");
        var models = JsonParser.parseString(doctor.out()).getAsJsonObject().getAsJsonArray("models");
        List<String> seen = new ArrayList<>();
        for (JsonElement m : models) {
            String model = m.getAsJsonObject().get("model").getAsString();
            for (JsonElement f : m.getAsJsonObject().getAsJsonArray("findings")) {
                var o = f.getAsJsonObject();
                seen.add(model + " " + o.get("check").getAsString() + " " + o.get("result").getAsString());
            }
        }
        assertTrue(seen.contains("llama-3-8b rollout WARN"), seen.toString());
        assertTrue(seen.stream().noneMatch(x -> x.startsWith("llama-3-8b ") && x.endsWith(" FAIL")), seen.toString());
        assertTrue(seen.contains("llama-3-8b-kvevents-canary configuration PASS"), seen.toString());
        assertTrue(doctor.out().contains("in a canary rollout (deployment.apps/llama-3-8b-kvevents-canary): this Deployment"
                + " keeps KV events off until the rollout ends"), doctor.out());
    }
}
