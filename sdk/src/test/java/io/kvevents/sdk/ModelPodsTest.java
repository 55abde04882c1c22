package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.kvevents.testing.VllmPeer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pods of a model found through a real HTTP API server and reached through its port-forward
 * subresource (client-java's WebSocket protocol), with the libzmq peer behind each forwarded port.
 */
class ModelPodsTest {
    private static final StreamOptions FAST = StreamOptions.DEFAULT.replayAnswerTimeout(Duration.ofMillis(500));

    @TempDir
    Path dir;

    private static int port(String endpoint) {
        return Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
    }

    private static FakeApiServer.Pod pod(String name, VllmPeer peer) {
        return new FakeApiServer.Pod("ml", name, Map.of("app", "llama"), true,
                Map.of(5557, port(peer.liveEndpoint()), 5558, port(peer.replayEndpoint())));
    }

    private KubeContext context(FakeApiServer api) throws Exception {
        return new KubeContext(List.of(api.kubeconfig(dir, "ml")), null, null, false);
    }

    /** Polls until an item matches, collecting everything seen. */
    private static StreamItem await(EventStream stream, List<StreamItem> seen, Predicate<StreamItem> wanted) {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < deadline) {
            StreamItem item = stream.poll(Duration.ofMillis(100));
            if (item != null) {
                seen.add(item);
                if (wanted.test(item)) {
                    return item;
                }
            }
        }
        throw new AssertionError("not seen within 20 s; saw " + seen);
    }

    private static long batchesOf(List<StreamItem> seen, String pod) {
        return seen.stream().filter(i -> i instanceof ReceivedBatch b && b.source().equals(pod)).count();
    }

    @Test
    void followsTheModelsPodsThroughPortForwardAsTheyComeAndGo() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama");
                VllmPeer first = VllmPeer.start();
                VllmPeer second = VllmPeer.start()) {
            first.publish(5); // history: only the replay endpoint can give it
            api.pod(pod("llama-0", first));
            ModelPods pods = ModelPods.find(context(api), "llama");
            assertEquals(List.of("llama-0"), pods.ready());
            List<StreamItem> seen = new ArrayList<>();
            PrefixIndex index = PrefixIndex.create();
            try (EventStream stream = pods.events(FAST)) {
                await(stream, seen, i -> batchesOf(seen, "llama-0") == 5);
                first.publish(2); // live, through the forwarded PUB port
                await(stream, seen, i -> batchesOf(seen, "llama-0") == 7);
                assertTrue(api.requests.stream().anyMatch(r -> r.equals("GET /api/v1/namespaces/ml/pods/llama-0/portforward?ports=5557")), api.requests.toString());
                assertTrue(api.requests.stream().anyMatch(r -> r.equals("GET /api/v1/namespaces/ml/pods/llama-0/portforward?ports=5558")), api.requests.toString());
                assertTrue(api.requests.stream().anyMatch(r -> r.startsWith("GET /api/v1/namespaces/ml/pods?labelSelector=app%3Dllama")), api.requests.toString());

                second.publish(3);
                api.pod(pod("llama-1", second)); // scaled up
                await(stream, seen, i -> i instanceof StreamNotice n && n.kind() == StreamNotice.Kind.ADDED
                        && n.source().equals("llama-1"));
                await(stream, seen, i -> batchesOf(seen, "llama-1") == 3);

                api.deletePod("ml", "llama-0"); // scaled down
                await(stream, seen, i -> i instanceof StreamNotice n && n.kind() == StreamNotice.Kind.GONE
                        && n.source().equals("llama-0"));
                seen.forEach(index::apply);
            }
            assertEquals(List.of("llama-1"), index.stats().sources().stream().map(IndexStats.SourceBlocks::source).toList(),
                    "the deleted pod's blocks are forgotten");
        }
    }

    @Test
    void aForwardThatTheKubeletRefusesIsReportedWithItsReason() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama")) {
            api.pod(new FakeApiServer.Pod("ml", "llama-0", Map.of("app", "llama"), true, Map.of())); // nothing listens
            List<StreamItem> seen = new ArrayList<>();
            try (EventStream stream = ModelPods.find(context(api), "llama").events(FAST)) {
                StreamItem item = await(stream, seen, i -> i instanceof StreamNotice n && n.kind() == StreamNotice.Kind.FORWARD_FAILED
                        && n.message().startsWith("port-forward to pod ml/llama-0 port"));
                assertTrue(((StreamNotice) item).message().contains("an error occurred forwarding"), item.toString());
            }
        }
    }

    @Test
    void namesThatAreNeitherDeploymentNorPodAndModelsWithoutReadyPodsAreRefusedClearly() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama")) {
            IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                    () -> ModelPods.find(context(api), "mistral"));
            assertEquals("no Deployment or pod named mistral in namespace ml (give -n NAMESPACE or --context)",
                    unknown.getMessage());
            api.pod(new FakeApiServer.Pod("ml", "llama-0", Map.of("app", "llama"), false, Map.of()));
            ModelPods pods = ModelPods.find(context(api), "llama");
            IllegalStateException none = assertThrows(IllegalStateException.class, () -> pods.events(FAST));
            assertTrue(none.getMessage().startsWith("no ready pod of deployment.apps/llama (app=llama) in namespace ml"),
                    none.getMessage());
        }
    }

    @Test
    void tokenizesOnThePodThroughAPortForwardToItsHttpPort() throws Exception {
        HttpServer vllm = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        List<String> bodies = new ArrayList<>();
        vllm.createContext("/tokenize", exchange -> {
            bodies.add(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] answer = "{\"count\":3,\"max_model_len\":8192,\"tokens\":[101,7592,102]}".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        vllm.start();
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama")) {
            api.pod(new FakeApiServer.Pod("ml", "llama-0", Map.of("app", "llama"), true,
                    Map.of(8000, vllm.getAddress().getPort())));
            try (ModelPods pods = ModelPods.find(context(api), "llama")) {
                assertArrayEquals(new int[] {101, 7592, 102}, pods.tokenizer().tokenize("llama", "hello"));
            }
            assertEquals(List.of("{\"model\":\"llama\",\"prompt\":\"hello\",\"add_special_tokens\":true}"), bodies);
            assertTrue(api.requests.contains("GET /api/v1/namespaces/ml/pods/llama-0/portforward?ports=8000"), api.requests.toString());
        } finally {
            vllm.stop(0);
        }
    }

    @Test
    void aPodWhoseReplayEndpointAnswersIsVerifiedAndProbedWithItsLastEventsAge() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama"); VllmPeer peer = VllmPeer.start()) {
            api.pod(pod("llama-0", peer));
            List<String> progress = new ArrayList<>();
            // a fresh engine has published nothing: its replay endpoint answering proves it is bound
            PodActivity verified = ClusterMigration.verify(context(api), "ml", "llama", Duration.ofSeconds(20), progress::add);
            assertEquals(0, verified.batches());
            assertTrue(verified.replayAnswered());
            assertEquals(List.of("deployment.apps/llama verified: pod llama-0 answers on its replay port"), progress);

            peer.publish(4);
            List<PodActivity> probe = ModelPods.find(context(api), "llama").probe(Duration.ofSeconds(5));
            assertEquals(1, probe.size());
            PodActivity a = probe.get(0);
            assertEquals("llama-0", a.pod());
            assertEquals(4, a.batches());
            assertEquals(16, a.blockSize());
            // the peer stamps its batches with a fixed engine time: only the form can be checked
            assertTrue(a.lastEventAge() != null && a.lastEventText().matches("\\d+[smhd] ago"), a.toString());
        }
    }

    @Test
    void aQuietEngineKeepsItsForwardedStreamOpenPastTheUpgradeTimeout() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama"); VllmPeer peer = VllmPeer.start()) {
            peer.publish(1);
            api.pod(pod("llama-0", peer));
            List<StreamItem> seen = new ArrayList<>();
            try (EventStream stream = ModelPods.find(context(api), "llama").events(FAST)) {
                await(stream, seen, i -> batchesOf(seen, "llama-0") == 1);
                Thread.sleep(6_500); // longer than the 5 s the upgrade may take: an idle stream must stay open
                peer.publish(1);
                await(stream, seen, i -> batchesOf(seen, "llama-0") == 2);
            }
            assertTrue(seen.stream().noneMatch(i -> i instanceof StreamNotice n
                    && (n.kind() == StreamNotice.Kind.DISCONNECTED || n.kind() == StreamNotice.Kind.FORWARD_FAILED)),
                    seen.toString());
            assertEquals(2, api.portForwards(), "one stream per port, never re-opened");
        }
    }

    @Test
    void theEnginesPortsAreReadFromItsKvEventsConfig() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama"); VllmPeer peer = VllmPeer.start()) {
            peer.publish(2);
            api.pod(new FakeApiServer.Pod("ml", "llama-0", Map.of("app", "llama"), true,
                    Map.of(6557, port(peer.liveEndpoint()), 6558, port(peer.replayEndpoint())),
                    List.of("--model", "llama", "--kv-events-config", "{\"enable_kv_cache_events\":true,\"publisher\":\"zmq\","
                            + "\"endpoint\":\"tcp://*:6557\",\"replay_endpoint\":\"tcp://*:6558\"}")));
            List<StreamItem> seen = new ArrayList<>();
            try (EventStream stream = ModelPods.find(context(api), "llama").events(FAST)) {
                await(stream, seen, i -> batchesOf(seen, "llama-0") == 2);
            }
            assertTrue(api.requests.contains("GET /api/v1/namespaces/ml/pods/llama-0/portforward?ports=6557"), api.requests.toString());
            assertTrue(api.requests.contains("GET /api/v1/namespaces/ml/pods/llama-0/portforward?ports=6558"), api.requests.toString());
        }
    }

    /**
     * An engine whose config names no replay endpoint (vLLM's default: KVEventsConfig.replay_endpoint is None,
     * vllm/config/kv_events.py) is read live only: no port-forward to a replay port that nothing listens on,
     * and the notice says why history is missing.
     */
    @Test
    void anEngineWithoutAReplayEndpointIsReadLiveOnly() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama"); VllmPeer peer = VllmPeer.start()) {
            api.pod(new FakeApiServer.Pod("ml", "llama-0", Map.of("app", "llama"), true,
                    Map.of(5557, port(peer.liveEndpoint())),
                    List.of("--model", "llama", "--kv-events-config", "{\"enable_kv_cache_events\":true,\"publisher\":\"zmq\","
                            + "\"endpoint\":\"tcp://*:5557\"}")));
            List<StreamItem> seen = new ArrayList<>();
            try (EventStream stream = ModelPods.find(context(api), "llama").events(FAST)) {
                StreamItem added = await(stream, seen, i -> i instanceof StreamNotice n && n.kind() == StreamNotice.Kind.ADDED);
                assertTrue(added.toString().contains("no replay endpoint"), added.toString());
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (batchesOf(seen, "llama-0") == 0 && System.nanoTime() < deadline) {
                    peer.publish(1); // a SUB socket joins late: publish until one arrives
                    StreamItem item = stream.poll(Duration.ofMillis(200));
                    if (item != null) {
                        seen.add(item);
                    }
                }
                assertTrue(batchesOf(seen, "llama-0") > 0, seen + " " + api.requests);
            }
            assertTrue(api.requests.stream().noneMatch(r -> r.contains("portforward?ports=5558")), api.requests.toString());
        }
    }

    /**
     * Issue 13 #2: a pod of two data-parallel ranks runs two publishers, rank r on the configured ports + r
     * (vllm/distributed/kv_events.py since v0.9.1, offset_endpoint_port), each with its own seq: both are read.
     */
    @Test
    void everyDataParallelRankOfAPodIsRead() throws Exception {
        try (FakeApiServer api = new FakeApiServer().deployment("ml", "llama");
                VllmPeer rank0 = VllmPeer.start(); VllmPeer rank1 = VllmPeer.start()) {
            rank0.publish(2);
            rank1.publish(3);
            api.pod(FakeApiServer.Pod.twoRanks("ml", "llama-0", "llama", port(rank0.liveEndpoint()),
                    port(rank0.replayEndpoint()), port(rank1.liveEndpoint()), port(rank1.replayEndpoint())));
            List<StreamItem> seen = new ArrayList<>();
            try (EventStream stream = ModelPods.find(context(api), "llama").events(FAST)) {
                await(stream, seen, i -> batchesOf(seen, "llama-0") == 2 && batchesOf(seen, "llama-0/dp1") == 3);
            }
            for (String port : List.of("5557", "5558", "5559", "5560")) {
                assertTrue(api.requests.contains("GET /api/v1/namespaces/ml/pods/llama-0/portforward?ports=" + port),
                        api.requests.toString());
            }
        }
    }
}
