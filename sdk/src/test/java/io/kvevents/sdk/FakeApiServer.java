package io.kvevents.sdk;

import com.google.gson.Gson;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.ByteString;

/**
 * A Kubernetes API server for what fabric8's mock cannot do: pods listed by label selector and the
 * {@code pods/portforward} subresource, as a WebSocket speaking the {@code v4.channel.k8s.io} protocol
 * (data on channel 0, errors on channel 1, each opened by the port in two little-endian bytes). Each
 * forwarded stream is bridged to a real TCP port on this machine, so ZeroMQ and HTTP work through it.
 */
public final class FakeApiServer implements AutoCloseable {
    private static final Gson GSON = new Gson();

    private final MockWebServer server = new MockWebServer();
    private final Map<String, Map<String, Object>> deployments = new ConcurrentHashMap<>();
    private final Map<String, Pod> pods = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Object>> services = new ConcurrentHashMap<>();
    /** Every request line seen, e.g. {@code GET /api/v1/namespaces/ml/pods/x/portforward?ports=5557}. */
    public final List<String> requests = new CopyOnWriteArrayList<>();

    /** A pod: its labels, whether it is ready, where each of its ports really listens on loopback, its vLLM args. */
    public record Pod(String namespace, String name, Map<String, String> labels, boolean ready,
            Map<Integer, Integer> ports, List<String> args) {

        /** A pod whose vLLM container names only {@code --port 8000}: its KV-event ports are the defaults. */
        public Pod(String namespace, String name, Map<String, String> labels, boolean ready, Map<Integer, Integer> ports) {
            this(namespace, name, labels, ready, ports, List.of("--port", "8000"));
        }
    }

    public FakeApiServer() throws IOException {
        server.setDispatcher(new Dispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                requests.add(request.getMethod() + " " + request.getTarget());
                return answer(request);
            }
        });
        server.start();
    }

    /** A model Deployment whose pods carry {@code app=NAME}; its vLLM container publishes on 5557/5558. */
    public FakeApiServer deployment(String namespace, String name) {
        Map<String, Object> container = new LinkedHashMap<>();
        container.put("name", "vllm");
        container.put("image", "vllm/vllm-openai:v0.11.0");
        container.put("args", List.of("--model", name, "--port", "8000", "--kv-events-config",
                "{\"enable_kv_cache_events\":true,\"publisher\":\"zmq\",\"endpoint\":\"tcp://*:5557\","
                        + "\"replay_endpoint\":\"tcp://*:5558\"}"));
        container.put("ports", List.of(Map.of("name", "kv-events", "containerPort", 5557),
                Map.of("name", "kv-replay", "containerPort", 5558)));
        Map<String, Object> d = Map.of("apiVersion", "apps/v1", "kind", "Deployment",
                "metadata", Map.of("name", name, "namespace", namespace,
                        "labels", Map.of("model.aibrix.ai/kv-events-enabled", "true")),
                "spec", Map.of("replicas", 1, "selector", Map.of("matchLabels", Map.of("app", name)),
                        "template", Map.of("metadata", Map.of("labels", Map.of("app", name,
                                        "model.aibrix.ai/kv-events-enabled", "true")),
                                "spec", Map.of("containers", List.of(container)))),
                "status", Map.of("replicas", 1, "readyReplicas", 1));
        deployments.put(namespace + "/" + name, d);
        return this;
    }

    /** A Service selecting pods by {@code selector}, sending {@code port} to {@code targetPort}. */
    public FakeApiServer service(String namespace, String name, Map<String, String> selector, int port, Object targetPort) {
        services.put(namespace + "/" + name, Map.of("apiVersion", "v1", "kind", "Service",
                "metadata", Map.of("name", name, "namespace", namespace),
                "spec", Map.of("selector", selector, "ports", List.of(Map.of("port", port, "targetPort", targetPort)))));
        return this;
    }

    /** Adds or replaces a pod. */
    public FakeApiServer pod(Pod pod) {
        pods.put(pod.namespace() + "/" + pod.name(), pod);
        return this;
    }

    /** Deletes a pod. */
    public FakeApiServer deletePod(String namespace, String name) {
        pods.remove(namespace + "/" + name);
        return this;
    }

    /** A kubeconfig whose current context points at this server, namespace {@code namespace}. */
    public Path kubeconfig(Path dir, String namespace) throws IOException {
        String url = server.url("/").toString().replaceAll("/$", "");
        Path file = dir.resolve("kubeconfig-fake");
        Files.writeString(file, "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n"
                + "  cluster:\n    server: " + url + "\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n"
                + "    user: fake\n    namespace: " + namespace + "\nusers:\n- name: fake\n  user:\n    token: t0k3n\n");
        return file;
    }

    /** Requests to the port-forward subresource so far. */
    public long portForwards() {
        return requests.stream().filter(r -> r.contains("/portforward")).count();
    }

    /** The objects of a NAMESPACE/NAME-keyed map that are in {@code namespace}. */
    private static List<Object> inNamespace(Map<String, ? extends Object> objects, String namespace) {
        List<Object> items = new ArrayList<>();
        objects.forEach((key, object) -> {
            if (key.startsWith(namespace + "/")) {
                items.add(object);
            }
        });
        return items;
    }

    private MockResponse answer(RecordedRequest request) {
        String path = request.getUrl().encodedPath();
        String[] p = path.split("/");
        // /apis/apps/v1/namespaces/NS/deployments and /api/v1/namespaces/NS/services: what status reads
        if (path.startsWith("/apis/apps/v1/namespaces/") && p.length == 7 && p[6].equals("deployments")) {
            return json(Map.of("apiVersion", "apps/v1", "kind", "DeploymentList", "items", inNamespace(deployments, p[5])));
        }
        if (path.startsWith("/api/v1/namespaces/") && p.length == 6 && p[5].equals("services")) {
            return json(Map.of("apiVersion", "v1", "kind", "ServiceList", "items", inNamespace(services, p[4])));
        }
        if (path.startsWith("/api/v1/namespaces/") && p.length == 7 && p[5].equals("services")) {
            Map<String, Object> svc = services.get(p[4] + "/" + p[6]);
            return svc == null ? notFound("services", p[6]) : json(svc);
        }
        // /apis/apps/v1/namespaces/NS/deployments/NAME
        if (path.startsWith("/apis/apps/v1/namespaces/") && p.length == 8 && p[6].equals("deployments")) {
            Map<String, Object> d = deployments.get(p[5] + "/" + p[7]);
            return d == null ? notFound("deployments.apps", p[7]) : json(d);
        }
        if (path.startsWith("/api/v1/namespaces/") && p.length >= 6 && p[5].equals("pods")) {
            String ns = p[4];
            if (p.length == 6) {
                String selector = request.getUrl().queryParameter("labelSelector");
                List<Object> items = new ArrayList<>();
                for (Pod pod : pods.values()) {
                    if (pod.namespace().equals(ns) && matches(pod.labels(), selector)) {
                        items.add(podJson(pod));
                    }
                }
                return json(Map.of("apiVersion", "v1", "kind", "PodList", "items", items));
            }
            Pod pod = pods.get(ns + "/" + p[6]);
            if (pod == null) {
                return notFound("pods", p[6]);
            }
            if (p.length == 7) {
                return json(podJson(pod));
            }
            if (p.length == 8 && p[7].equals("portforward")) {
                int port = Integer.parseInt(request.getUrl().queryParameter("ports"));
                return new MockResponse.Builder().setHeader("Sec-WebSocket-Protocol", "v4.channel.k8s.io")
                        .webSocketUpgrade(new Bridge(port, pod.ports().get(port))).build();
            }
        }
        return notFound("path", path);
    }

    private static boolean matches(Map<String, String> labels, String selector) {
        if (selector == null || selector.isBlank()) {
            return true;
        }
        for (String term : selector.split(",")) {
            String[] kv = term.split("=", 2);
            if (kv.length != 2 || !kv[1].equals(labels.get(kv[0]))) {
                return false;
            }
        }
        return true;
    }

    private static Map<String, Object> podJson(Pod pod) {
        List<Object> ports = new ArrayList<>();
        pod.ports().keySet().forEach(port -> ports.add(Map.of("containerPort", port)));
        return Map.of("apiVersion", "v1", "kind", "Pod",
                "metadata", Map.of("name", pod.name(), "namespace", pod.namespace(), "labels", pod.labels()),
                "spec", Map.of("containers", List.of(Map.of("name", "vllm", "image", "vllm/vllm-openai:v0.11.0",
                        "args", pod.args(), "ports", ports))),
                "status", Map.of("phase", "Running", "conditions",
                        List.of(Map.of("type", "Ready", "status", pod.ready() ? "True" : "False"))));
    }

    private static MockResponse json(Object body) {
        return new MockResponse.Builder().setHeader("Content-Type", "application/json").body(GSON.toJson(body)).build();
    }

    private static MockResponse notFound(String resource, String name) {
        return new MockResponse.Builder().code(404).setHeader("Content-Type", "application/json")
                .body("{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"NotFound\",\"message\":\"" + resource + " \\\""
                        + name + "\\\" not found\",\"code\":404}").build();
    }

    /** One forwarded stream: the WebSocket on one side, a TCP connection to the port's real listener on the other. */
    private static final class Bridge extends WebSocketListener {
        private final int port;
        private final Integer target;
        private volatile Socket socket;

        Bridge(int port, Integer target) {
            this.port = port;
            this.target = target;
        }

        @Override
        public void onOpen(WebSocket ws, okhttp3.Response response) {
            ws.send(ByteString.of((byte) 0, (byte) (port & 0xFF), (byte) (port >> 8)));
            ws.send(ByteString.of((byte) 1, (byte) (port & 0xFF), (byte) (port >> 8)));
            try {
                if (target == null) {
                    throw new IOException("connection refused");
                }
                socket = new Socket("127.0.0.1", target);
            } catch (IOException e) {
                byte[] text = ("an error occurred forwarding " + port + " -> " + port + ": " + e.getMessage())
                        .getBytes(StandardCharsets.UTF_8);
                byte[] frame = new byte[text.length + 1];
                frame[0] = 1;
                System.arraycopy(text, 0, frame, 1, text.length);
                ws.send(ByteString.of(frame));
                ws.close(1000, "error");
                return;
            }
            Thread t = new Thread(() -> {
                try (InputStream in = socket.getInputStream()) {
                    byte[] buffer = new byte[16_384];
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        byte[] frame = new byte[n + 1];
                        System.arraycopy(buffer, 0, frame, 1, n);
                        ws.send(ByteString.of(frame));
                    }
                } catch (IOException e) {
                    // the socket closed
                }
                ws.close(1000, "closed");
            }, "fake-portforward-" + port);
            t.setDaemon(true);
            t.start();
        }

        @Override
        public void onMessage(WebSocket ws, ByteString bytes) {
            if (bytes.size() < 1 || bytes.getByte(0) != 0 || socket == null) {
                return;
            }
            try {
                OutputStream out = socket.getOutputStream();
                out.write(bytes.substring(1).toByteArray());
                out.flush();
            } catch (IOException e) {
                ws.close(1000, "closed");
            }
        }

        @Override
        public void onClosing(WebSocket ws, int code, String reason) {
            closeSocket();
            ws.close(1000, null);
        }

        @Override
        public void onFailure(WebSocket ws, Throwable t, okhttp3.Response response) {
            closeSocket();
        }

        private void closeSocket() {
            try {
                if (socket != null) {
                    socket.close();
                }
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    @Override
    public void close() {
        server.close();
    }
}
