package io.kvevents.internal.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.kvevents.sdk.FakeApiServer;
import io.kvevents.sdk.KubeContext;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The tokenizer pre-flight: /health on a pod of the URL's Service, through port-forward. */
class TokenizerCheckTest {
    private static final String URL = "http://tokenizer-service.aibrix-system:8080";

    @TempDir
    Path dir;

    private HttpServer tokenizer(int status) throws Exception {
        return tokenizer(status, 200);
    }

    /**
     * A tokenizer as vLLM's API server answers: {@code /health}, and {@code POST /tokenize} with a TokenizeResponse
     * (vllm/entrypoints/openai/protocol.py at v0.11.0: count, max_model_len, tokens, token_strs).
     */
    static HttpServer tokenizer(int health, int tokenize) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/health", exchange -> {
            exchange.sendResponseHeaders(health, -1);
            exchange.close();
        });
        server.createContext("/tokenize", exchange -> {
            byte[] body = (tokenize == 200 ? "{\"count\":3,\"max_model_len\":8192,\"tokens\":[128000,74,3690],\"token_strs\":null}"
                    : "{\"detail\":\"Not Found\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8);
            boolean post = "POST".equals(exchange.getRequestMethod());
            exchange.sendResponseHeaders(post ? tokenize : 405, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return server;
    }

    private KubeApi api(FakeApiServer fake) throws Exception {
        return KubeApi.connect(new KubeContext(List.of(fake.kubeconfig(dir, "default")), null, null, false));
    }

    @Test
    void aHealthyTokenizerIsAskedOnAPodOfItsService() throws Exception {
        HttpServer healthy = tokenizer(200);
        try (FakeApiServer fake = new FakeApiServer()) {
            fake.service("aibrix-system", "tokenizer-service", Map.of("app", "tokenizer"), 8080, "http");
            // the pod declares no port named http: the named target falls back to the Service's port, 8080
            fake.pod(new FakeApiServer.Pod("aibrix-system", "tokenizer-0", Map.of("app", "tokenizer"), true,
                    Map.of(8080, healthy.getAddress().getPort())));
            TokenizerCheck.Outcome outcome = TokenizerCheck.check(api(fake), URL, "aibrix-system");
            assertTrue(outcome.checked());
            assertEquals("tokenizer " + URL + " answers /health and /tokenize (pod tokenizer-0)", outcome.message());
            assertTrue(fake.requests.contains("GET /api/v1/namespaces/aibrix-system/pods/tokenizer-0/portforward?ports=8080"),
                    fake.requests.toString());
        } finally {
            healthy.stop(0);
        }
    }

    @Test
    void anUnhealthyTokenizerFailsThePreflightWithItsStatus() throws Exception {
        HttpServer sick = tokenizer(503);
        try (FakeApiServer fake = new FakeApiServer()) {
            fake.service("aibrix-system", "tokenizer-service", Map.of("app", "tokenizer"), 8080, 8080);
            fake.pod(new FakeApiServer.Pod("aibrix-system", "tokenizer-0", Map.of("app", "tokenizer"), true,
                    Map.of(8080, sick.getAddress().getPort())));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> TokenizerCheck.check(api(fake), URL, "aibrix-system"));
            assertEquals("the tokenizer " + URL + " answered /health with HTTP 503 on pod tokenizer-0: the gateway could not"
                    + " tokenize (give --force to enable anyway)", e.getMessage());
        } finally {
            sick.stop(0);
        }
    }

    @Test
    void aTokenizerThatIsHealthyButCannotTokenizeFails() throws Exception {
        HttpServer half = tokenizer(200, 404);
        try (FakeApiServer fake = new FakeApiServer()) {
            fake.service("aibrix-system", "tokenizer-service", Map.of("app", "tokenizer"), 8080, 8080);
            fake.pod(new FakeApiServer.Pod("aibrix-system", "tokenizer-0", Map.of("app", "tokenizer"), true,
                    Map.of(8080, half.getAddress().getPort())));
            TokenizerCheck.Probe probe = TokenizerCheck.probe(api(fake), URL, "aibrix-system");
            assertEquals(Boolean.FALSE, probe.answered());
            assertEquals("the tokenizer " + URL + " answers /health but /tokenize gave HTTP 404 {\"detail\":\"Not Found\"}"
                    + " on pod tokenizer-0", probe.message());
        } finally {
            half.stop(0);
        }
    }

    @Test
    void aUrlWithAPathAsksHealthAtTheRootAndTokenizeUnderThePath() throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/health", x -> {
            x.sendResponseHeaders("/health".equals(x.getRequestURI().getPath()) ? 200 : 404, -1);
            x.close();
        });
        server.createContext("/v1/tokenize", x -> {
            byte[] body = "{\"count\":1,\"max_model_len\":8192,\"tokens\":[1],\"token_strs\":null}".getBytes();
            x.sendResponseHeaders(200, body.length);
            x.getResponseBody().write(body);
            x.close();
        });
        server.start();
        try (FakeApiServer fake = new FakeApiServer()) {
            fake.service("aibrix-system", "tokenizer-service", Map.of("app", "tokenizer"), 8080, 8080);
            fake.pod(new FakeApiServer.Pod("aibrix-system", "tokenizer-0", Map.of("app", "tokenizer"), true,
                    Map.of(8080, server.getAddress().getPort())));
            TokenizerCheck.Probe probe = TokenizerCheck.probe(api(fake), URL + "/v1", "aibrix-system");
            assertEquals(Boolean.TRUE, probe.answered(), probe.message());
        } finally {
            server.stop(0);
        }
    }

    @Test
    void aServiceWithoutReadyPodsFailsAndAnUnknownHostIsLeftUnchecked() throws Exception {
        try (FakeApiServer fake = new FakeApiServer()) {
            TokenizerCheck.Outcome unknown = TokenizerCheck.check(api(fake), URL, "aibrix-system");
            // a bare Service name resolves where the gateway runs, not in the model's namespace
            assertEquals("tokenizer http://tokenizer-service:8080 not checked: no Service tokenizer-service in namespace"
                    + " aibrix-system (the gateway may still reach it)",
                    TokenizerCheck.check(api(fake), "http://tokenizer-service:8080", "aibrix-system").message());
            assertFalse(unknown.checked());
            assertEquals("tokenizer " + URL + " not checked: no Service tokenizer-service in namespace aibrix-system"
                    + " (the gateway may still reach it)", unknown.message());
            fake.service("aibrix-system", "tokenizer-service", Map.of("app", "tokenizer"), 8080, 8080);
            fake.pod(new FakeApiServer.Pod("aibrix-system", "tokenizer-0", Map.of("app", "tokenizer"), false, Map.of()));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> TokenizerCheck.check(api(fake), URL, "aibrix-system"));
            assertEquals("the tokenizer Service aibrix-system/tokenizer-service has no ready pod: the gateway could not"
                    + " tokenize (give --force to enable anyway)", e.getMessage());
        }
    }
}
