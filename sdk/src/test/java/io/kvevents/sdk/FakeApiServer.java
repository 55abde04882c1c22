package io.kvevents.sdk;

import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * The Kubernetes API server of the tests: fabric8's mock server in CRUD mode (objects created, listed by
 * label selector, patched with JSON patches and refused with 409 when the resourceVersion a patch carries is
 * stale), plus what it cannot do by itself: SelfSubjectAccessReviews (allowed unless {@link #deny}), the
 * {@code pods/portforward} subresource as a WebSocket speaking {@code v4.channel.k8s.io} (data on channel 0,
 * errors on channel 1, each opened by the port in two little-endian bytes) bridged to a real TCP port on this
 * machine, and faults a real server cannot be made to produce ({@link #onRequest}).
 */
public final class FakeApiServer implements AutoCloseable {
    private final KubernetesMockServer server;
    /** A client of this server, to create, read and change objects as another user would. */
    public final KubernetesClient client;
    /** Where each pod's ports really listen on loopback: namespace/name → (pod port → local port). */
    private final Map<String, Map<Integer, Integer>> podPorts = new ConcurrentHashMap<>();
    private final Set<String> denied = ConcurrentHashMap.newKeySet();
    /** Container logs: namespace/pod/container/previous → text. */
    private final Map<String, String> logs = new ConcurrentHashMap<>();
    private final List<io.fabric8.kubernetes.api.model.Event> events = new CopyOnWriteArrayList<>();
    private volatile Function<RecordedRequest, MockResponse> fault = r -> null;
    /** Every request line seen, e.g. {@code GET /api/v1/namespaces/ml/pods/x/portforward?ports=5557}. */
    public final List<String> requests = new CopyOnWriteArrayList<>();
    /** The body of every PATCH, in order. */
    public final List<String> patchBodies = new CopyOnWriteArrayList<>();

    /** A pod: its labels, whether it is ready, where each of its ports really listens on loopback, its vLLM args. */
    public record Pod(String namespace, String name, Map<String, String> labels, boolean ready,
            Map<Integer, Integer> ports, List<String> args, String image, List<String> command) {

        /** A pod whose vLLM container names only {@code --port 8000}: its KV-event ports are the defaults. */
        public Pod(String namespace, String name, Map<String, String> labels, boolean ready, Map<Integer, Integer> ports) {
            this(namespace, name, labels, ready, ports, List.of("--port", "8000"));
        }

        /**
         * A ready pod {@code NAME} (label app=APP) of vLLM 0.11.0 running two data-parallel ranks, rank r on 5557+r
         * (live) and 5559+r (replay) as {@code --kv-events-config} names them, forwarded to the given local ports.
         */
        public static Pod twoRanks(String namespace, String name, String app, int live0, int replay0, int live1,
                int replay1) {
            return new Pod(namespace, name, Map.of("app", app), true,
                    Map.of(5557, live0, 5559, replay0, 5558, live1, 5560, replay1),
                    List.of("--model", app, "--data-parallel-size", "2", "--kv-events-config",
                            "{\"enable_kv_cache_events\":true,\"publisher\":\"zmq\",\"endpoint\":\"tcp://*:5557\","
                                    + "\"replay_endpoint\":\"tcp://*:5559\"}"));
        }

        /** A pod whose container runs vLLM 0.11.0 with these args. */
        public Pod(String namespace, String name, Map<String, String> labels, boolean ready, Map<Integer, Integer> ports,
                List<String> args) {
            this(namespace, name, labels, ready, ports, args, "vllm/vllm-openai:v0.11.0", List.of());
        }
    }

    public FakeApiServer() {
        KubernetesCrudDispatcher crud = new KubernetesCrudDispatcher() {
            @Override
            public MockResponse dispatch(RecordedRequest request) {
                requests.add(request.getMethod() + " " + request.getPath());
                if ("PATCH".equals(request.getMethod())) {
                    patchBodies.add(new String(request.getBody().getBytes(), StandardCharsets.UTF_8));
                }
                MockResponse injected = fault.apply(request);
                if (injected != null) {
                    return injected;
                }
                String path = request.getPath();
                if (path.startsWith("/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")) {
                    String body = new String(request.getBody().getBytes(), StandardCharsets.UTF_8);
                    boolean allowed = denied.stream().noneMatch(r -> body.contains("\"resource\":\"" + r + "\""));
                    return new MockResponse().setResponseCode(201).setBody(("{\"kind\":\"SelfSubjectAccessReview\","
                            + "\"status\":{\"allowed\":" + allowed + "}}").getBytes(StandardCharsets.UTF_8));
                }
                if (path.contains("/portforward")) {
                    return portForward(path);
                }
                if (path.matches("/api/v1/namespaces/[^/]+/pods/[^/]+/log(\\?.*)?")) {
                    return log(path);
                }
                if ("GET".equals(request.getMethod()) && path.matches("/api/v1/namespaces/[^/]+/events(\\?.*)?")) {
                    return events(path);
                }
                return super.dispatch(request);
            }
        };
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), crud, false);
        server.init();
        client = server.createClient();
    }

    /** Answers SelfSubjectAccessReviews about {@code resource} ("services", "deployments") with "not allowed". */
    public FakeApiServer deny(String resource) {
        denied.add(resource);
        return this;
    }

    /** A fault: a request for which {@code answer} returns a response gets that instead of the server's own. */
    public FakeApiServer onRequest(Function<RecordedRequest, MockResponse> answer) {
        fault = answer;
        return this;
    }

    /** Creates objects from YAML (one or more documents). */
    public FakeApiServer create(String yaml) {
        for (String doc : yaml.split("(?m)^---\\s*$")) {
            if (!doc.isBlank()) {
                client.load(new ByteArrayInputStream(doc.getBytes(StandardCharsets.UTF_8))).create();
            }
        }
        return this;
    }

    /** A model Deployment whose pods carry {@code app=NAME}; its vLLM container publishes on 5557/5558. */
    public FakeApiServer deployment(String namespace, String name) {
        create("""
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: %1$s
                  namespace: %2$s
                  labels: {model.aibrix.ai/kv-events-enabled: "true"}
                spec:
                  replicas: 1
                  selector: {matchLabels: {app: %1$s}}
                  template:
                    metadata:
                      labels: {app: %1$s, model.aibrix.ai/kv-events-enabled: "true"}
                    spec:
                      containers:
                      - name: vllm
                        image: vllm/vllm-openai:v0.11.0
                        args: [--model, %1$s, --port, "8000", --kv-events-config,
                          '{"enable_kv_cache_events":true,"publisher":"zmq","endpoint":"tcp://*:5557","replay_endpoint":"tcp://*:5558"}']
                        ports: [{name: kv-events, containerPort: 5557}, {name: kv-replay, containerPort: 5558}]
                """.formatted(name, namespace));
        var d = client.apps().deployments().inNamespace(namespace).withName(name).get();
        d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder().withReplicas(1).withReadyReplicas(1).build());
        client.apps().deployments().inNamespace(namespace).resource(d).updateStatus();
        return this;
    }

    /** A Service selecting pods by {@code selector}, sending {@code port} to {@code targetPort}. */
    public FakeApiServer service(String namespace, String name, Map<String, String> selector, int port, Object targetPort) {
        client.services().inNamespace(namespace).resource(new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).endMetadata()
                .withNewSpec().withSelector(selector).addNewPort().withPort(port)
                .withTargetPort(targetPort instanceof Integer i ? new io.fabric8.kubernetes.api.model.IntOrString(i)
                        : new io.fabric8.kubernetes.api.model.IntOrString(String.valueOf(targetPort)))
                .endPort().endSpec().build()).create();
        return this;
    }

    /** Adds or replaces a pod. */
    public FakeApiServer pod(Pod pod) {
        deletePod(pod.namespace(), pod.name());
        podPorts.put(pod.namespace() + "/" + pod.name(), pod.ports());
        client.pods().inNamespace(pod.namespace()).resource(new PodBuilder()
                .withNewMetadata().withName(pod.name()).withNamespace(pod.namespace()).withLabels(pod.labels()).endMetadata()
                .withNewSpec().addNewContainer().withName("engine").withImage(pod.image()).withCommand(pod.command())
                .withArgs(pod.args())
                .withPorts(pod.ports().keySet().stream().map(p -> new ContainerPortBuilder().withContainerPort(p).build()).toList())
                .endContainer().endSpec()
                .withNewStatus().withPhase("Running").addNewCondition().withType("Ready").withStatus(pod.ready() ? "True" : "False")
                .endCondition().endStatus().build()).create();
        return this;
    }

    /**
     * A container's log, as {@code GET …/pods/NAME/log?container=C[&previous=true]} serves it (text/plain, the last
     * {@code tailLines} lines); a previous log that was never set is answered as the API server answers it, 400
     * "previous terminated container … not found" (k8s.io/kubernetes pkg/kubelet/kubelet_pods.go
     * validateContainerLogStatus at df5f0243).
     */
    public FakeApiServer log(String namespace, String pod, String container, boolean previous, String text) {
        logs.put(namespace + "/" + pod + "/" + container + "/" + previous, text);
        return this;
    }

    /**
     * Puts a pod's container in a crash loop, as the kubelet reports one: not ready, waiting in CrashLoopBackOff after
     * {@code restarts} restarts, its last instance terminated with {@code exitCode} ({@code reason} Error, OOMKilled).
     */
    public FakeApiServer crashLoop(String namespace, String pod, String container, int restarts, int exitCode, String reason) {
        var p = client.pods().inNamespace(namespace).withName(pod).get();
        p.setStatus(new io.fabric8.kubernetes.api.model.PodStatusBuilder().withPhase("Running")
                .addNewCondition().withType("Ready").withStatus("False").endCondition()
                .addNewContainerStatus().withName(container).withReady(false).withRestartCount(restarts)
                .withImage(p.getSpec().getContainers().get(0).getImage())
                .withNewState().withNewWaiting().withReason("CrashLoopBackOff")
                .withMessage("back-off 5m0s restarting failed container=" + container + " pod=" + pod).endWaiting().endState()
                .withNewLastState().withNewTerminated().withExitCode(exitCode).withReason(reason)
                .withFinishedAt("2026-12-01T05:00:00Z").endTerminated().endLastState()
                .endContainerStatus().build());
        client.pods().inNamespace(namespace).resource(p).updateStatus();
        return this;
    }

    /**
     * A core/v1 Event about a pod, as the kubelet records one ({@code Warning BackOff "Back-off restarting failed
     * container"}).
     */
    public FakeApiServer podEvent(String namespace, String pod, String type, String reason, String message) {
        events.add(new io.fabric8.kubernetes.api.model.EventBuilder()
                .withNewMetadata().withName(pod + "." + Long.toHexString(System.nanoTime())).withNamespace(namespace).endMetadata()
                .withNewInvolvedObject().withApiVersion("v1").withKind("Pod").withName(pod).withNamespace(namespace)
                .endInvolvedObject().withType(type).withReason(reason).withMessage(message).build());
        return this;
    }

    /**
     * {@code GET …/events?fieldSelector=involvedObject.…}: the events of {@link #podEvent} selected as the API server
     * selects them (k8s.io/kubernetes pkg/registry/core/event/strategy.go EventToSelectableFields at 00b2d95c); fabric8's CRUD mode
     * would read those keys as the event's own name and kind.
     */
    private MockResponse events(String path) {
        String ns = path.split("/")[4];
        String selector = path.contains("fieldSelector=") ? java.net.URLDecoder.decode(
                path.replaceAll(".*fieldSelector=([^&]*).*", "$1"), StandardCharsets.UTF_8) : "";
        List<io.fabric8.kubernetes.api.model.Event> items = events.stream().filter(e -> ns.equals(e.getMetadata().getNamespace()))
                .filter(e -> {
                    for (String term : selector.isEmpty() ? new String[0] : selector.split(",")) {
                        String[] kv = term.split("=", 2);
                        var o = e.getInvolvedObject();
                        String actual = switch (kv[0]) {
                            case "involvedObject.kind" -> o.getKind();
                            case "involvedObject.name" -> o.getName();
                            case "involvedObject.namespace" -> o.getNamespace();
                            default -> throw new IllegalArgumentException("field " + kv[0] + " is not selectable here");
                        };
                        if (!kv[1].equals(actual)) {
                            return false;
                        }
                    }
                    return true;
                }).toList();
        String body = io.fabric8.kubernetes.client.utils.Serialization.asJson(new io.fabric8.kubernetes.api.model.EventListBuilder()
                .withItems(items).build());
        return new MockResponse().setResponseCode(200).setBody(body.getBytes(StandardCharsets.UTF_8));
    }

    private MockResponse log(String path) {
        String[] p = path.split("\\?")[0].split("/");
        String query = path.contains("?") ? path.substring(path.indexOf('?') + 1) : "";
        Map<String, String> q = new HashMap<>();
        for (String pair : query.split("&")) {
            int eq = pair.indexOf('=');
            if (eq > 0) {
                q.put(pair.substring(0, eq), java.net.URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
            }
        }
        boolean previous = "true".equals(q.get("previous"));
        String container = q.getOrDefault("container", "engine");
        String text = logs.get(p[4] + "/" + p[6] + "/" + container + "/" + previous);
        if (text == null && previous) {
            return new MockResponse().setResponseCode(400).setBody(("{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":"
                    + "\"Failure\",\"message\":\"previous terminated container \\\"" + container + "\\\" in pod \\\"" + p[6]
                    + "\\\" not found\",\"reason\":\"BadRequest\",\"code\":400}").getBytes(StandardCharsets.UTF_8));
        }
        List<String> lines = text == null ? List.of() : text.lines().toList();
        if (q.containsKey("tailLines")) {
            int n = Integer.parseInt(q.get("tailLines"));
            lines = lines.subList(Math.max(0, lines.size() - n), lines.size());
        }
        return new MockResponse().setResponseCode(200).setHeader("Content-Type", "text/plain")
                .setBody(String.join("\n", lines).getBytes(StandardCharsets.UTF_8));
    }

    /**
     * A pod as the Deployment's ReplicaSet would make it now: the template's labels, annotations and spec, Running and
     * (when {@code ready}) Ready, its ports forwarded to where they really listen on loopback.
     */
    public FakeApiServer podOf(String namespace, String deployment, String name, boolean ready, Map<Integer, Integer> ports) {
        var template = client.apps().deployments().inNamespace(namespace).withName(deployment).get().getSpec().getTemplate();
        deletePod(namespace, name);
        podPorts.put(namespace + "/" + name, ports);
        client.pods().inNamespace(namespace).resource(new PodBuilder()
                .withNewMetadata().withName(name).withNamespace(namespace).withLabels(template.getMetadata().getLabels())
                .withAnnotations(template.getMetadata().getAnnotations()).endMetadata()
                .withSpec(template.getSpec())
                .withNewStatus().withPhase("Running").withPodIP("10.0.0.7").addNewCondition().withType("Ready")
                .withStatus(ready ? "True" : "False").endCondition().endStatus().build()).create();
        return this;
    }

    private volatile boolean closed;

    /**
     * Plays the Deployment controller, as nobody else runs it here: every 200 ms each Deployment whose status lags its
     * spec is marked rolled out (observedGeneration, replicas, updated, ready and available all as the spec asks).
     */
    public FakeApiServer runDeploymentController() {
        Thread t = new Thread(() -> {
            while (!closed) {
                try {
                    synchronized (controllerRound) {
                        controllerRound();
                    }
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                } catch (RuntimeException conflictOrClosed) {
                    // read again on the next round
                }
            }
        }, "fake-deployment-controller");
        t.setDaemon(true);
        t.start();
        return this;
    }

    /** Held by the stand-in controller while it writes: pausing it waits for a round under way. */
    private final Object controllerRound = new Object();

    /** One round: each Deployment whose status lags its spec is marked rolled out. */
    private void controllerRound() {
        for (var d : controllerPaused ? List.<io.fabric8.kubernetes.api.model.apps.Deployment>of()
                : client.apps().deployments().inAnyNamespace().list().getItems()) {
            int want = d.getSpec().getReplicas() == null ? 1 : d.getSpec().getReplicas();
            var st = d.getStatus();
            if (st == null || !Integer.valueOf(want).equals(st.getAvailableReplicas())
                    || !Integer.valueOf(want).equals(st.getUpdatedReplicas())
                    || !java.util.Objects.equals(st.getObservedGeneration(), d.getMetadata().getGeneration())) {
                d.setStatus(new io.fabric8.kubernetes.api.model.apps.DeploymentStatusBuilder()
                        .withObservedGeneration(d.getMetadata().getGeneration()).withReplicas(want)
                        .withUpdatedReplicas(want).withReadyReplicas(want).withAvailableReplicas(want).build());
                client.apps().deployments().inNamespace(d.getMetadata().getNamespace()).resource(d).updateStatus();
            }
        }
    }

    private volatile boolean controllerPaused;

    /** Stops (or starts again) the Deployment controller of {@link #runDeploymentController}: rollouts then never end. */
    public FakeApiServer pauseDeploymentController(boolean paused) {
        controllerPaused = paused;
        synchronized (controllerRound) {
            return this; // a round under way has ended: no status is written after this returns
        }
    }

    /** Deletes a pod. */
    public FakeApiServer deletePod(String namespace, String name) {
        client.pods().inNamespace(namespace).withName(name).delete();
        podPorts.remove(namespace + "/" + name);
        return this;
    }

    /** A kubeconfig whose current context points at this server, namespace {@code namespace}. */
    public Path kubeconfig(Path dir, String namespace) throws IOException {
        Path file = dir.resolve("kubeconfig-fake");
        Files.writeString(file, "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n"
                + "  cluster:\n    server: " + client.getConfiguration().getMasterUrl().replaceAll("/$", "")
                + "\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n"
                + "    user: fake\n    namespace: " + namespace + "\nusers:\n- name: fake\n  user:\n    token: t0k3n\n");
        return file;
    }

    /** Requests to the port-forward subresource so far. */
    public long portForwards() {
        return requests.stream().filter(r -> r.contains("/portforward")).count();
    }

    /** {@code /api/v1/namespaces/NS/pods/NAME/portforward?ports=P}: a WebSocket bridged to where the pod's port listens. */
    private MockResponse portForward(String path) {
        String[] p = path.split("\\?")[0].split("/");
        Map<Integer, Integer> ports = podPorts.get(p[4] + "/" + p[6]);
        if (ports == null) {
            return new MockResponse().setResponseCode(404).setBody(("{\"kind\":\"Status\",\"status\":\"Failure\","
                    + "\"reason\":\"NotFound\",\"message\":\"pods \\\"" + p[6] + "\\\" not found\",\"code\":404}")
                    .getBytes(StandardCharsets.UTF_8));
        }
        int port = Integer.parseInt(path.replaceAll(".*[?&]ports=(\\d+).*", "$1"));
        return new MockResponse().setHeader("Sec-WebSocket-Protocol", "v4.channel.k8s.io")
                .withWebSocketUpgrade(new Bridge(port, ports.get(port)));
    }

    /** One forwarded stream: the WebSocket on one side, a TCP connection to the port's real listener on the other. */
    private static final class Bridge extends io.fabric8.mockwebserver.http.WebSocketListener {
        private final int port;
        private final Integer target;
        private volatile Socket socket;
        private boolean failed;

        Bridge(int port, Integer target) {
            this.port = port;
            this.target = target;
        }

        @Override
        public void onOpen(io.fabric8.mockwebserver.http.WebSocket ws, io.fabric8.mockwebserver.http.Response response) {
            ws.send(new byte[] {0, (byte) (port & 0xFF), (byte) (port >> 8)});
            ws.send(new byte[] {1, (byte) (port & 0xFF), (byte) (port >> 8)});
            Socket s = connect(ws);
            if (s == null) {
                return;
            }
            Thread t = new Thread(() -> {
                try (InputStream in = s.getInputStream()) {
                    byte[] buffer = new byte[16_384];
                    for (int n; (n = in.read(buffer)) >= 0; ) {
                        byte[] frame = new byte[n + 1];
                        System.arraycopy(buffer, 0, frame, 1, n);
                        ws.send(frame);
                    }
                } catch (IOException e) {
                    // the socket closed
                }
                ws.close(1000, "closed");
            }, "fake-portforward-" + port);
            t.setDaemon(true);
            t.start();
        }

        /**
         * The connection to the pod's port, made once. The server may deliver the client's first bytes before
         * onOpen has run (fabric8's server calls back from its event loop): they wait for it here instead of
         * being dropped.
         */
        private synchronized Socket connect(io.fabric8.mockwebserver.http.WebSocket ws) {
            if (socket != null || failed) {
                return socket;
            }
            try {
                if (target == null) {
                    throw new IOException("connection refused");
                }
                socket = new Socket("127.0.0.1", target);
            } catch (IOException e) {
                failed = true;
                byte[] text = ("an error occurred forwarding " + port + " -> " + port + ": " + e.getMessage())
                        .getBytes(StandardCharsets.UTF_8);
                byte[] frame = new byte[text.length + 1];
                frame[0] = 1;
                System.arraycopy(text, 0, frame, 1, text.length);
                ws.send(frame);
                ws.close(1000, "error");
            }
            return socket;
        }

        @Override
        public void onMessage(io.fabric8.mockwebserver.http.WebSocket ws, byte[] bytes) {
            if (bytes.length < 1 || bytes[0] != 0) {
                return;
            }
            Socket s = connect(ws);
            if (s == null) {
                return;
            }
            try {
                OutputStream out = s.getOutputStream();
                out.write(bytes, 1, bytes.length - 1);
                out.flush();
            } catch (IOException e) {
                ws.close(1000, "closed");
            }
        }

        @Override
        public void onClosing(io.fabric8.mockwebserver.http.WebSocket ws, int code, String reason) {
            closeSocket();
            ws.close(1000, null);
        }

        @Override
        public void onFailure(io.fabric8.mockwebserver.http.WebSocket ws, Throwable t,
                io.fabric8.mockwebserver.http.Response response) {
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
        closed = true;
        client.close();
        server.destroy();
    }
}
