package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import io.kvevents.cli.CliHarness.Result;
import io.kvevents.sdk.FakeApiServer;
import io.kvevents.testing.VllmPeer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tail MODEL} and {@code cache-probe MODEL}: pods found through an API server, reached by its port-forward. */
class PodCommandsTest {

    @TempDir
    Path dir;

    private static int port(String endpoint) {
        return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
    }

    @Test
    void tailModelFollowsItsPodsThroughPortForward() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama"); VllmPeer peer = VllmPeer.start()) {
            peer.publish(6); // history: reachable only by replay, through the forwarded replay port
            api.pod(new FakeApiServer.Pod("ml", "llama-0", Map.of("app", "llama"), true,
                    Map.of(5557, port(peer.liveEndpoint()), 5558, port(peer.replayEndpoint()))));
            Result r = CliHarness.run("tail", "llama", "--kubeconfig", api.kubeconfig(dir, "default").toString(),
                    "-n", "ml", "-o", "json", "--types", "stored", "--max-events", "6", "--timeout", "30s");
            assertEquals(0, r.exitCode(), r.err());
            assertEquals(6, r.outLines().size(), r.out());
            for (int seq = 0; seq < 6; seq++) {
                JsonObject event = JsonParser.parseString(r.outLines().get(seq)).getAsJsonObject();
                assertEquals("llama-0", event.get("source").getAsString());
                assertEquals(seq, event.get("seq").getAsLong());
            }
            assertTrue(r.err().contains("llama-0: pod llama-0 is ready: forwarding its ports 5557 and 5558 to tcp://127.0.0.1:"),
                    r.err());
            assertTrue(api.requests.contains("GET /api/v1/namespaces/ml/pods/llama-0/portforward?ports=5558"), api.requests.toString());
        }
    }

    @Test
    void cacheProbeModelTokenizesOnAPodAndMatchesWhatThePodHolds() throws Exception {
        HttpServer vllm = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        // the peer's batch n stores tokens 16n..16n+15, chained: "the prompt" is the first 3 blocks and 5 tokens more
        String tokens = IntStream.range(0, 53).mapToObj(String::valueOf).collect(Collectors.joining(","));
        vllm.createContext("/tokenize", exchange -> {
            byte[] answer = ("{\"count\":53,\"max_model_len\":8192,\"tokens\":[" + tokens + "]}").getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        vllm.start();
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama");
                VllmPeer peer = VllmPeer.start("--topic=kv@10.0.0.7@llama", "--topic-frame")) {
            peer.publish(3);
            api.pod(new FakeApiServer.Pod("ml", "llama-0", Map.of("app", "llama"), true,
                    Map.of(5557, port(peer.liveEndpoint()), 5558, port(peer.replayEndpoint()), 8000, vllm.getAddress().getPort())));
            Result r = CliHarness.run("cache-probe", "llama", "--kubeconfig", api.kubeconfig(dir, "ml").toString(),
                    "--tokenizer", "pod", "--prompt", "the prompt", "--model", "llama", "--settle", "1500ms", "-o", "json");
            assertEquals(0, r.exitCode(), r.err());
            JsonObject result = JsonParser.parseString(r.outLines().get(0)).getAsJsonObject();
            assertEquals(53, result.get("prompt_tokens").getAsInt());
            JsonObject pod = result.getAsJsonArray("pods").get(0).getAsJsonObject();
            assertEquals("llama-0", pod.get("pod").getAsString());
            assertEquals(3, pod.get("matched_blocks").getAsInt());
            assertEquals(List.of("llama-0"), List.of(result.getAsJsonArray("best").get(0).getAsString()));
        } finally {
            vllm.stop(0);
        }
    }

    @Test
    void aModelThatIsNotThereIsOneErrorLine() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama")) {
            Result r = CliHarness.run("tail", "mistral", "--kubeconfig", api.kubeconfig(dir, "ml").toString(),
                    "--timeout", "5s");
            assertEquals(1, r.exitCode());
            assertEquals(List.of("error: no Deployment or pod named mistral in namespace ml (give -n NAMESPACE or --context)"),
                    r.errLines());
        }
    }

    @Test
    void withoutAKubeconfigTailModelSaysSoInsteadOfTryingLocalhost() {
        Result r = CliHarness.run("tail", "llama", "--kubeconfig", dir.resolve("none").toString());
        assertEquals(1, r.exitCode());
        assertEquals(List.of("error: no kubeconfig: tried [" + dir.resolve("none") + "]; give --kubeconfig FILE (or set"
                + " KUBECONFIG)"), r.errLines());
    }

    @Test
    void statusProbeShowsWhatEachReadyPodPublishes() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama"); VllmPeer peer = VllmPeer.start()) {
            peer.publish(2);
            api.pod(new FakeApiServer.Pod("ml", "llama-0", Map.of("app", "llama"), true,
                    Map.of(5557, port(peer.liveEndpoint()), 5558, port(peer.replayEndpoint()))));
            Result r = CliHarness.run("status", "llama", "--kubeconfig", api.kubeconfig(dir, "ml").toString(), "--probe",
                    "--probe-time", "4s", "-o", "json");
            assertEquals(0, r.exitCode(), r.err());
            JsonObject model = JsonParser.parseString(r.out()).getAsJsonObject();
            assertEquals("1/1", model.get("pods_ready").getAsString());
            JsonObject pod = model.getAsJsonArray("probe").get(0).getAsJsonObject();
            assertEquals("llama-0", pod.get("pod").getAsString());
            assertEquals(2, pod.get("batches").getAsInt());
            assertEquals(16, pod.get("block_size").getAsInt());
            assertTrue(pod.get("last_event_age_seconds").getAsDouble() > 0, pod.toString());
            assertTrue(pod.get("replay_answered").getAsBoolean(), pod.toString());

            Result table = CliHarness.run("status", "llama", "--kubeconfig", api.kubeconfig(dir, "ml").toString(), "--probe",
                    "--probe-time", "4s");
            assertEquals(0, table.exitCode(), table.err());
            assertTrue(table.outLines().stream().anyMatch(l -> l.matches("llama\\s+llama-0\\s+\\d+[smhd] ago\\s+2\\s+16\\s+-")),
                    table.out());
        }
    }

    /**
     * Issue 13 #2: status --probe reads every data-parallel rank (vLLM v0.9.1+ binds rank r on the configured ports
     * + r, vllm/distributed/kv_events.py offset_endpoint_port) and reports per pod; -o wide shows each rank.
     */
    @Test
    void statusProbeReadsEveryDataParallelRankAndReportsPerPodOrPerRankWhenWide() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama");
                VllmPeer rank0 = VllmPeer.start(); VllmPeer rank1 = VllmPeer.start()) {
            rank0.publish(2);
            rank1.publish(3);
            api.pod(FakeApiServer.Pod.twoRanks("ml", "llama-0", "llama", port(rank0.liveEndpoint()),
                    port(rank0.replayEndpoint()), port(rank1.liveEndpoint()), port(rank1.replayEndpoint())));
            String kubeconfig = api.kubeconfig(dir, "ml").toString();
            Result r = CliHarness.run("status", "llama", "--kubeconfig", kubeconfig, "--probe", "--probe-time", "4s",
                    "-o", "json");
            assertEquals(0, r.exitCode(), r.err());
            JsonObject pod = JsonParser.parseString(r.out()).getAsJsonObject()
                    .getAsJsonArray("probe").get(0).getAsJsonObject();
            assertEquals("llama-0", pod.get("pod").getAsString());
            assertEquals(5, pod.get("batches").getAsInt(), "both ranks' batches: " + pod);
            assertEquals(2, pod.getAsJsonArray("ranks").size(), pod.toString());
            assertEquals("llama-0/dp1", pod.getAsJsonArray("ranks").get(1).getAsJsonObject().get("pod").getAsString());

            Result table = CliHarness.run("status", "llama", "--kubeconfig", kubeconfig, "--probe", "--probe-time", "4s");
            assertTrue(table.outLines().stream().anyMatch(l -> l.matches("llama\\s+llama-0\\s+\\d+[smhd] ago\\s+5\\s+16\\s+-")),
                    table.out());
            Result wide = CliHarness.run("status", "llama", "--kubeconfig", kubeconfig, "--probe", "--probe-time", "4s",
                    "-o", "wide");
            assertTrue(wide.outLines().stream().anyMatch(l -> l.matches("llama\\s+llama-0\\s+\\d+[smhd] ago\\s+2\\s+16\\s+-")),
                    wide.out());
            assertTrue(wide.outLines().stream().anyMatch(l -> l.matches("llama\\s+llama-0/dp1\\s+\\d+[smhd] ago\\s+3\\s+16\\s+-")),
                    wide.out());
        }
    }

    /**
     * Issue 13 #8: an SGLang model's pods (python -m sglang.launch_server, --dp-size 2: each rank on the configured
     * ports + rank, sgl-project/sglang 612d579090 disaggregation/kv_events.py offset_endpoint_port) are found, every
     * rank read, and probed under the Deployment's model although SGLang's replay replies name no topic.
     */
    @Test
    void tailAndCacheProbeReadEveryRankOfAnSglangModel() throws Exception {
        try (FakeApiServer api = new FakeApiServer().create("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: qwen, namespace: ml}
                spec:
                  selector: {matchLabels: {app: qwen}}
                  template:
                    metadata: {labels: {app: qwen}}
                    spec:
                      containers:
                      - name: sglang
                        image: lmsysorg/sglang:v0.5.4
                        command: [python3, -m, sglang.launch_server]
                        args: [--model-path, Qwen/Qwen2-7B, --served-model-name, qwen2-7b]
                """);
                VllmPeer rank0 = VllmPeer.start("--profile", "sglang-37482", "--topic", "");
                VllmPeer rank1 = VllmPeer.start("--profile", "sglang-37482", "--topic", "", "--rank", "1")) {
            rank0.publish(4);
            rank1.publish(12);
            api.pod(new FakeApiServer.Pod("ml", "qwen-0", Map.of("app", "qwen"), true,
                    Map.of(5557, port(rank0.liveEndpoint()), 5559, port(rank0.replayEndpoint()),
                            5558, port(rank1.liveEndpoint()), 5560, port(rank1.replayEndpoint())),
                    List.of("--model-path", "Qwen/Qwen2-7B", "--served-model-name", "qwen2-7b", "--dp-size", "2",
                            "--kv-events-config", "{\"publisher\":\"zmq\",\"endpoint\":\"tcp://*:5557\","
                                    + "\"replay_endpoint\":\"tcp://*:5559\"}"),
                    "lmsysorg/sglang:v0.5.4", List.of("python3", "-m", "sglang.launch_server")));
            String kubeconfig = api.kubeconfig(dir, "ml").toString();
            int events = JsonParser.parseString(rank0.json("qwen-0")).getAsJsonArray().size()
                    + JsonParser.parseString(rank1.json("qwen-0/dp1")).getAsJsonArray().size();
            Result tail = CliHarness.run("tail", "qwen", "--kubeconfig", kubeconfig, "-o", "json", "--max-events",
                    String.valueOf(events), "--timeout", "20s");
            assertEquals(0, tail.exitCode(), tail.err());
            assertEquals(java.util.Set.of("qwen-0", "qwen-0/dp1"), tail.outLines().stream()
                    .map(l -> JsonParser.parseString(l).getAsJsonObject().get("source").getAsString())
                    .collect(java.util.stream.Collectors.toSet()), tail.out());
            String tokens = java.util.stream.IntStream.range(0, 12 * 16).mapToObj(String::valueOf)
                    .collect(java.util.stream.Collectors.joining(","));
            Result r = CliHarness.run("cache-probe", "qwen", "--kubeconfig", kubeconfig, "--tokens", tokens,
                    "--settle", "1500ms", "-o", "json");
            assertEquals(0, r.exitCode(), r.err());
            JsonObject result = JsonParser.parseString(r.outLines().get(0)).getAsJsonObject();
            JsonObject pod = result.getAsJsonArray("pods").get(0).getAsJsonObject();
            assertEquals("qwen-0", pod.get("pod").getAsString(), r.out());
            int best = Math.max(rank0.residentPrefix(), rank1.residentPrefix());
            assertEquals(best, pod.get("matched_blocks").getAsInt(), "the pod's best rank: " + r.out());

            Result wide = CliHarness.run("cache-probe", "qwen", "--kubeconfig", kubeconfig, "--tokens", tokens,
                    "--settle", "1500ms", "-o", "wide");
            assertEquals(0, wide.exitCode(), wide.err());
            assertTrue(wide.outLines().stream().anyMatch(l -> l.matches(".*\\sqwen-0\\s+" + rank0.residentPrefix() + "\\s.*")), wide.out());
            assertTrue(wide.outLines().stream().anyMatch(l -> l.matches(".*\\sqwen-0/dp1\\s+" + rank1.residentPrefix() + "\\s.*")), wide.out());
        }
    }

    @Test
    void aPodWhosePortForwardIsRefusedFailsTheTailWithTheKubeletsReason() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama")) {
            api.pod(new FakeApiServer.Pod("ml", "llama-0", Map.of("app", "llama"), true, Map.of())); // nothing listens
            Result r = CliHarness.run("tail", "llama", "--kubeconfig", api.kubeconfig(dir, "ml").toString(), "--timeout", "3s");
            assertEquals(1, r.exitCode(), r.err());
            String last = r.errLines().get(r.errLines().size() - 1);
            assertTrue(last.startsWith("error: llama-0: never read: port-forward to pod ml/llama-0 port 555"), last);
            assertTrue(last.contains("an error occurred forwarding"), last);
            // ZeroMQ reconnects every 100 ms: without the back-off that is ~60 streams in 3 s over two ports, with it ~10
            assertTrue(api.portForwards() <= 24, "backing off, not hammering the API server: " + api.portForwards());
            // one warning per port, then the final error: a refusal repeated is not news
            assertEquals(3, r.errLines().stream().filter(l -> l.contains("an error occurred forwarding")).count(), r.err());
        }
    }

    /**
     * Issue 13: pods on vLLM 0.11 with the default empty topic answer replays without a topic frame
     * (vllm/distributed/kv_events.py at v0.11.0: ["", seq, payload]) and name no model live either. The model is
     * the Deployment's: cache-probe MODEL --prompt tokenizes with it and probes its pods.
     */
    @Test
    void cacheProbeOfAModelWhosePodsNameNoModelWorksWithATextPrompt() throws Exception {
        com.sun.net.httpserver.HttpServer vllm = com.sun.net.httpserver.HttpServer.create(
                new java.net.InetSocketAddress("127.0.0.1", 0), 0);
        List<String> asked = new java.util.concurrent.CopyOnWriteArrayList<>();
        vllm.createContext("/tokenize", exchange -> {
            asked.add(new String(exchange.getRequestBody().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8));
            StringBuilder ids = new StringBuilder();
            for (int i = 0; i < 32; i++) {
                ids.append(i == 0 ? "" : ",").append(i);
            }
            byte[] answer = ("{\"count\":32,\"tokens\":[" + ids + "]}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        vllm.start();
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama");
                VllmPeer peer = VllmPeer.start("--topic", "", "--format=array")) {
            peer.publish(2); // history only the replay endpoint can give, without a topic frame
            api.pod(new FakeApiServer.Pod("ml", "llama-0", Map.of("app", "llama"), true,
                    Map.of(5557, port(peer.liveEndpoint()), 5558, port(peer.replayEndpoint()), 8000, vllm.getAddress().getPort())));
            Result r = CliHarness.run("cache-probe", "llama", "--kubeconfig", api.kubeconfig(dir, "ml").toString(),
                    "--tokenizer", "pod", "--prompt", "hello", "--settle", "2s", "-o", "json");
            assertEquals(0, r.exitCode(), r.err());
            JsonObject line = JsonParser.parseString(r.outLines().get(0)).getAsJsonObject();
            JsonObject pod = line.getAsJsonArray("pods").get(0).getAsJsonObject();
            assertEquals("llama-0", pod.get("pod").getAsString());
            assertEquals(2, pod.get("matched_blocks").getAsInt(), r.out());
            assertTrue(asked.get(0).contains("\"model\":\"llama\""), asked.toString());
        } finally {
            vllm.stop(0);
        }
    }
}
