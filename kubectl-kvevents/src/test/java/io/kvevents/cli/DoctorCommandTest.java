package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.mockwebserver.http.MockResponse;
import io.kvevents.cli.CliHarness.Result;
import io.kvevents.sdk.FakeApiServer;
import io.kvevents.testing.VllmMetricsPeer;
import io.kvevents.testing.VllmPeer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: {@code doctor} against the CRUD API server, a model enabled by {@code enable} itself, its pod's ports
 * forwarded to the real libzmq peer (stamping batches with time.time() as vLLM does) and to vLLM v0.11.0's /metrics
 * made by prometheus_client; then each of the guide's common issues planted, one at a time: doctor must name its
 * cause and fix, and exit 1.
 */
class DoctorCommandTest {
    private static final String TOKENIZER = "http://tokenizer-service.aibrix-system:8080";

    @TempDir
    Path dir;

    private FakeApiServer api;
    private Path kubeconfig;
    private HttpServer tokenizer;
    private final AtomicBoolean tokenizes = new AtomicBoolean(true);

    @BeforeEach
    void cluster() throws Exception {
        api = new FakeApiServer();
        for (String f : List.of("llama-deployment.yaml", "gateway-deployment.yaml")) {
            api.create(Files.readString(EnableDisableLocalTest.MANIFESTS.resolve(f)));
        }
        tokenizer = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        tokenizer.createContext("/health", x -> {
            x.sendResponseHeaders(200, -1);
            x.close();
        });
        // vLLM's TokenizeResponse (vllm/entrypoints/openai/protocol.py at v0.11.0), or a 404 when told to fail
        tokenizer.createContext("/tokenize", x -> {
            boolean ok = tokenizes.get();
            byte[] body = (ok ? "{\"count\":2,\"max_model_len\":8192,\"tokens\":[74,3690],\"token_strs\":null}"
                    : "{\"detail\":\"Not Found\"}").getBytes(StandardCharsets.UTF_8);
            x.sendResponseHeaders(ok ? 200 : 404, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        tokenizer.start();
        api.service("aibrix-system", "tokenizer-service", Map.of("app", "tokenizer"), 8080, 8080);
        api.pod(new FakeApiServer.Pod("aibrix-system", "tokenizer-0", Map.of("app", "tokenizer"), true,
                Map.of(8080, tokenizer.getAddress().getPort())));
        kubeconfig = api.kubeconfig(dir, "default");
        Result enabled = CliHarness.run("enable", "llama-3-8b", "--tokenizer", TOKENIZER, "--kubeconfig", kubeconfig.toString());
        assertEquals(0, enabled.exitCode(), enabled.err());
        gatewayMemoryLimit("2Gi");
    }

    @AfterEach
    void stop() {
        tokenizer.stop(0);
        api.close();
    }

    private void gatewayMemoryLimit(String limit) {
        api.client.apps().deployments().inNamespace("aibrix-system").withName("aibrix-gateway-plugins").edit(d -> {
            d.getSpec().getTemplate().getSpec().getContainers().get(0).setResources(
                    new io.fabric8.kubernetes.api.model.ResourceRequirementsBuilder().addToLimits("memory", new Quantity(limit)).build());
            return d;
        });
    }

    private static int port(String endpoint) {
        return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
    }

    /** doctor while the peer publishes a batch every 200 ms, as an engine under traffic does. */
    private Result doctorUnderTraffic(VllmPeer peer, String... args) throws Exception {
        AtomicBoolean running = new AtomicBoolean(true);
        Thread traffic = new Thread(() -> {
            while (running.get()) {
                peer.publish(1);
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        traffic.start();
        try {
            List<String> all = new java.util.ArrayList<>(List.of("doctor"));
            all.addAll(List.of(args));
            all.addAll(List.of("--kubeconfig", kubeconfig.toString(), "--look", "2s"));
            return CliHarness.run(all.toArray(String[]::new));
        } finally {
            running.set(false);
            traffic.join();
        }
    }

    private static JsonObject finding(Result r, String check, String result) {
        JsonObject report = JsonParser.parseString(r.out()).getAsJsonObject();
        JsonArray all = new JsonArray();
        report.getAsJsonArray("gateway").forEach(all::add);
        for (JsonElement m : report.getAsJsonArray("models")) {
            m.getAsJsonObject().getAsJsonArray("findings").forEach(all::add);
        }
        for (JsonElement f : all) {
            JsonObject o = f.getAsJsonObject();
            if (o.get("check").getAsString().equals(check) && o.get("result").getAsString().equals(result)) {
                return o;
            }
        }
        throw new AssertionError("no " + result + " " + check + " in " + r.out());
    }

    @Test
    void aModelEnabledByEnablePassesEveryCheck() throws Exception {
        try (VllmPeer peer = VllmPeer.start("--clock", "wall", "--topic=kv@10.0.0.7@llama-3-8b");
                VllmMetricsPeer metrics = VllmMetricsPeer.start("--model", "llama-3-8b", "--num-gpu-blocks", "20000")) {
            api.podOf("default", "llama-3-8b", "llama-3-8b-0", true, Map.of(5557, port(peer.liveEndpoint()),
                    5558, port(peer.replayEndpoint()), 8000, metrics.port()));
            // the remote tokenizer a vLLM server, as AIBrix's is: /health and /tokenize on uvicorn (httptools)
            api.pod(new FakeApiServer.Pod("aibrix-system", "tokenizer-0", Map.of("app", "tokenizer"), true,
                    Map.of(8080, metrics.port())));
            // pods of the template before enable on their way out: one in its grace period, one evicted. The gateway
            // neither subscribes to them (e3e10f9 pkg/kvevent/manager.go isPodSubscribable: Running only) nor routes to
            // them (pkg/utils/pod.go FilterReadyPod: not terminating): the labels check does not ask them either
            for (String phase : List.of("Running", "Failed")) {
                api.client.pods().inNamespace("default").resource(new io.fabric8.kubernetes.api.model.PodBuilder()
                        .withNewMetadata().withName("llama-3-8b-old-" + phase.toLowerCase()).withNamespace("default")
                        .withLabels(Map.of("app", "llama-3-8b")).withFinalizers("example.com/hold").endMetadata()
                        .withNewSpec().addNewContainer().withName("vllm").withImage("vllm/vllm-openai:v0.11.0").endContainer()
                        .endSpec().withNewStatus().withPhase(phase).withReason(phase.equals("Failed") ? "Evicted" : null)
                        .endStatus().build()).create();
            }
            // deleted, held by its finalizer: the server sets its deletionTimestamp, as for a pod in its grace period
            api.client.pods().inNamespace("default").withName("llama-3-8b-old-running").delete();
            assertTrue(api.client.pods().inNamespace("default").withName("llama-3-8b-old-running").get().getMetadata()
                    .getDeletionTimestamp() != null);
            Result text = doctorUnderTraffic(peer, "llama-3-8b");
            assertEquals(0, text.exitCode(), text.out() + text.err());
            for (String check : List.of("configuration", "flags", "compatibility", "gateway-settings", "ports", "replay-port",
                    "labels", "crash-loop", "bind", "publishing", "event-lag", "block-size", "tokenizer", "gateway-memory")) {
                assertTrue(text.out().lines().anyMatch(l -> l.matches("  ok {4}" + check + " +\\S.*")), check + " passes:\n" + text.out());
            }
            assertTrue(text.out().contains("tokenizer " + TOKENIZER + " answers /health and /tokenize (pod tokenizer-0)"), text.out());
            // 20,000 blocks: 20,000 × 110 B + 10,000 prefixes × 300 B = 5.2 MB, under 1 % of 2 GiB
            assertTrue(text.out().contains("the prefix index of the 20000 KV blocks the models' engines hold needs about 5 MiB"
                    + " of its 2.0 GiB limit (0 %)"), text.out());
            assertTrue(text.out().contains("No check failed; 0 warnings, 0 skipped"), text.out());

            Result json = doctorUnderTraffic(peer, "llama-3-8b", "-o", "json");
            assertEquals(0, json.exitCode(), json.err());
            JsonObject lag = finding(json, "event-lag", "PASS");
            assertTrue(lag.get("evidence").getAsString().matches("llama-3-8b-0 \\d+ ms from the engine's stamp to arrival"),
                    lag.toString());
        }
    }

    @Test
    void theGuidesFlagsInACrashLoopAreNamedWithTheLogLineAndTheFix() throws Exception {
        api.create("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: seeded, namespace: default}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: seeded}}
                  template:
                    metadata:
                      labels: {app: seeded, model.aibrix.ai/name: seeded, model.aibrix.ai/kv-events-enabled: "true"}
                    spec:
                      containers:
                      - name: vllm
                        image: vllm/vllm-openai:v0.11.0
                        command: [vllm, serve]
                        args: [meta-llama/Meta-Llama-3-8B-Instruct, --enable-kv-cache-events, --kv-events-publisher, zmq]
                """);
        api.podOf("default", "seeded", "seeded-0", false, Map.of());
        api.crashLoop("default", "seeded-0", "vllm", 5, 2, "Error");
        // what vLLM's argparse prints before exiting 2 (vllm/utils FlexibleArgumentParser, v0.11.0)
        api.log("default", "seeded-0", "vllm", true, """
                INFO 12-01 05:00:01 [__init__.py:216] Automatically detected platform cuda.
                usage: vllm serve [model_tag] [options]
                vllm serve: error: unrecognized arguments: --enable-kv-cache-events --kv-events-publisher zmq
                """);
        api.podEvent("default", "seeded-0", "Normal", "Pulled", "Container image \"vllm/vllm-openai:v0.11.0\" already present");
        api.podEvent("default", "seeded-0", "Warning", "BackOff", "Back-off restarting failed container vllm in pod seeded-0");
        api.podEvent("default", "other-0", "Warning", "Failed", "another pod's event");
        Result r = CliHarness.run("doctor", "seeded", "--kubeconfig", kubeconfig.toString(), "-o", "json");
        assertEquals(1, r.exitCode(), r.out() + r.err());
        JsonObject crash = finding(r, "crash-loop", "FAIL");
        assertEquals("pod/seeded-0", crash.get("subject").getAsString());
        assertEquals("container vllm restarted 5 times (CrashLoopBackOff; last exit 2, Error); event: BackOff: Back-off"
                + " restarting failed container vllm in pod seeded-0; log: vllm serve: error: unrecognized arguments:"
                + " --enable-kv-cache-events --kv-events-publisher zmq", crash.get("evidence").getAsString());
        assertTrue(crash.get("fix").getAsString().startsWith("kubectl kvevents enable seeded -n default"), crash.toString());
        assertTrue(finding(r, "flags", "FAIL").get("evidence").getAsString().startsWith("seed-style flags"), r.out());
        assertEquals("no ready pod to watch", finding(r, "publishing", "SKIPPED").get("evidence").getAsString());
        assertTrue(finding(r, "gateway-memory", "SKIPPED").get("evidence").getAsString().contains("unknown for seeded"), r.out());
    }

    @Test
    void twoRanksOnAdjacentPortsCollideAndTheBindFailureIsReadFromTheLog() throws Exception {
        api.create("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: dp, namespace: default}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: dp}}
                  template:
                    metadata:
                      labels: {app: dp, model.aibrix.ai/name: dp, model.aibrix.ai/kv-events-enabled: "true"}
                    spec:
                      containers:
                      - name: vllm
                        image: vllm/vllm-openai:v0.11.0
                        args: [--model, dp, --data-parallel-size, "2", --kv-events-config,
                          '{"enable_kv_cache_events":true,"publisher":"zmq","endpoint":"tcp://*:5557","replay_endpoint":"tcp://*:5558"}']
                """);
        api.podOf("default", "dp", "dp-0", false, Map.of());
        api.crashLoop("default", "dp-0", "vllm", 3, 1, "Error");
        // pyzmq's bind error as ZmqEventPublisher raises it (vllm/distributed/kv_events.py v0.11.0, self._replay.bind)
        api.log("default", "dp-0", "vllm", true, """
                  File "/usr/local/lib/python3.12/dist-packages/vllm/distributed/kv_events.py", line 237, in _socket_setup
                    self._replay.bind(self._replay_endpoint)
                zmq.error.ZMQError: Address already in use (addr='tcp://*:5558')
                """);
        Result r = CliHarness.run("doctor", "dp", "--kubeconfig", kubeconfig.toString(), "-o", "json");
        assertEquals(1, r.exitCode(), r.out());
        assertEquals("port 5558 is rank 0's replay port and rank 1's event port: the second bind fails with \"Address"
                + " already in use\" and the engine exits", finding(r, "ports", "FAIL").get("evidence").getAsString());
        JsonObject bind = finding(r, "bind", "FAIL");
        assertTrue(bind.get("evidence").getAsString().endsWith("log: zmq.error.ZMQError: Address already in use"
                + " (addr='tcp://*:5558')"), bind.toString());
        assertTrue(bind.get("fix").getAsString().contains("every data-parallel rank binds the configured ports + its rank"),
                bind.toString());
    }

    @Test
    void lateEventsFailTheLagCheck() throws Exception {
        try (VllmPeer peer = VllmPeer.start("--clock", "wall", "--lag", "3");
                VllmMetricsPeer metrics = VllmMetricsPeer.start("--model", "llama-3-8b")) {
            api.podOf("default", "llama-3-8b", "llama-3-8b-0", true, Map.of(5557, port(peer.liveEndpoint()),
                    5558, port(peer.replayEndpoint()), 8000, metrics.port()));
            Result r = doctorUnderTraffic(peer, "llama-3-8b", "-o", "json");
            assertEquals(1, r.exitCode(), r.out());
            JsonObject lag = finding(r, "event-lag", "FAIL");
            assertEquals("pod/llama-3-8b-0", lag.get("subject").getAsString());
            assertTrue(lag.get("evidence").getAsString().matches("its last live batch arrived 3\\d\\d\\d ms after the engine"
                    + " stamped it \\(over 1 s\\)"), lag.toString());
        }
    }

    @Test
    void aQuietPodSkipsTheLagCheckAndSaysWhy() throws Exception {
        try (VllmPeer peer = VllmPeer.start("--clock", "wall");
                VllmMetricsPeer metrics = VllmMetricsPeer.start("--model", "llama-3-8b")) {
            peer.publish(2); // history only: replayed, never live
            api.podOf("default", "llama-3-8b", "llama-3-8b-0", true, Map.of(5557, port(peer.liveEndpoint()),
                    5558, port(peer.replayEndpoint()), 8000, metrics.port()));
            Result r = CliHarness.run("doctor", "llama-3-8b", "--kubeconfig", kubeconfig.toString(), "--look", "1s",
                    "-o", "json");
            assertEquals(0, r.exitCode(), r.out());
            assertEquals("no batch came live in 1s: send the model requests while doctor looks, or look longer (--look)",
                    finding(r, "event-lag", "SKIPPED").get("evidence").getAsString());
            finding(r, "publishing", "PASS");
        }
    }

    @Test
    void aPodWithoutTheModelLabelATokenizerThatCannotTokenizeAndATightGatewayFail() throws Exception {
        tokenizes.set(false);
        gatewayMemoryLimit("64Mi");
        try (VllmPeer peer = VllmPeer.start("--clock", "wall");
                VllmMetricsPeer metrics = VllmMetricsPeer.start("--model", "llama-3-8b", "--num-gpu-blocks", "600000")) {
            api.podOf("default", "llama-3-8b", "llama-3-8b-0", true, Map.of(5557, port(peer.liveEndpoint()),
                    5558, port(peer.replayEndpoint()), 8000, metrics.port()));
            api.client.pods().inNamespace("default").withName("llama-3-8b-0").edit(p -> {
                p.getMetadata().getLabels().remove("model.aibrix.ai/name");
                return p;
            });
            Result r = doctorUnderTraffic(peer, "llama-3-8b", "-o", "json");
            assertEquals(1, r.exitCode(), r.out());
            assertTrue(finding(r, "labels", "FAIL").get("evidence").getAsString().startsWith("no model.aibrix.ai/name label"
                    + " or annotation"), r.out());
            assertEquals("the tokenizer " + TOKENIZER + " answers /health but /tokenize gave HTTP 404 {\"detail\":\"Not"
                    + " Found\"} on pod tokenizer-0", finding(r, "tokenizer", "FAIL").get("evidence").getAsString());
            // 600,000 × 110 B + 10,000 × 300 B = 69 MB: over 80 % of 64 MiB
            assertEquals("the prefix index of the 600000 KV blocks the models' engines hold needs about 66 MiB of its 64 MiB"
                    + " limit (103 %): over the 80 % the guide alerts on",
                    finding(r, "gateway-memory", "FAIL").get("evidence").getAsString());
        }
    }

    @Test
    void logsThatCannotBeReadAreSaidAndTheCrashStillFails() throws Exception {
        api.podOf("default", "llama-3-8b", "llama-3-8b-0", false, Map.of());
        api.crashLoop("default", "llama-3-8b-0", "vllm", 2, 137, "OOMKilled");
        api.onRequest(req -> req.getPath().contains("/log?") ? new MockResponse().setResponseCode(403)
                .setBody("{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"Forbidden\",\"code\":403}"
                        .getBytes(StandardCharsets.UTF_8)) : null);
        Result r = CliHarness.run("doctor", "llama-3-8b", "--kubeconfig", kubeconfig.toString(), "-o", "json");
        assertEquals(1, r.exitCode(), r.out());
        JsonObject crash = finding(r, "crash-loop", "FAIL");
        String evidence = crash.get("evidence").getAsString();
        assertTrue(evidence.startsWith("container vllm restarted 2 times (CrashLoopBackOff; last exit 137, OOMKilled); its"
                + " log could not be read: forbidden: cannot get pods/log of llama-3-8b-0"), evidence);
        // the kubelet's reason still names the cause; a bind failure cannot be ruled out without the log
        assertTrue(evidence.endsWith("; the kernel killed it for memory (OOMKilled)"), evidence);
        assertEquals("raise the container's memory limit", crash.get("fix").getAsString());
        assertTrue(finding(r, "bind", "SKIPPED").get("evidence").getAsString().startsWith("a crashed container's log could"
                + " not be read"), r.out());
    }
}
