package io.kvevents.internal.kube;

import com.google.gson.reflect.TypeToken;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.util.ClientBuilder;
import io.kvevents.sdk.KubeContext;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads and patches objects on the API server as plain maps (the planners' currency), through
 * client-java's authenticated client. Never falls back to localhost:8080: without a kubeconfig it says so.
 */
public final class KubeApi {
    private static final com.google.gson.Gson PLAIN = new com.google.gson.GsonBuilder()
            .setObjectToNumberStrategy(com.google.gson.ToNumberPolicy.LONG_OR_DOUBLE).create();

    private static final java.time.Duration REQUEST_TIMEOUT = java.time.Duration.ofSeconds(30);
    private static final java.time.Duration STREAM_UPGRADE_TIMEOUT = java.time.Duration.ofSeconds(5);

    private final ApiClient client;
    private final Kubeconfig kubeconfig;
    private final Map<String, String> env;
    private final Credentials credentials;
    private final String namespace;
    private final boolean allNamespaces;
    private ApiClient streaming;

    private KubeApi(ApiClient client, Kubeconfig kubeconfig, Map<String, String> env, Credentials credentials,
            String namespace, boolean allNamespaces) {
        this.client = client;
        this.kubeconfig = kubeconfig;
        this.env = env;
        this.credentials = credentials;
        this.namespace = namespace;
        this.allNamespaces = allNamespaces;
    }

    public static KubeApi connect(KubeContext context) {
        return connect(context, REQUEST_TIMEOUT);
    }

    /** @param requestTimeout how long one request may take (a completion must not hang a shell) */
    public static KubeApi connect(KubeContext context, java.time.Duration requestTimeout) {
        return connect(context, requestTimeout, System.getenv());
    }

    /**
     * @param env the environment kubectl would read ({@code HOME}, {@code KUBECONFIG}, {@code HTTPS_PROXY},
     *     {@code NO_PROXY}, and what exec plugins inherit)
     */
    public static KubeApi connect(KubeContext context, java.time.Duration requestTimeout, Map<String, String> env) {
        return connect(context, requestTimeout, env, Kubeconfig.SERVICE_ACCOUNT);
    }

    /** @param serviceAccount where a pod's service account is mounted, for the in-cluster fallback ({@link Kubeconfig}) */
    public static KubeApi connect(KubeContext context, java.time.Duration requestTimeout, Map<String, String> env,
            java.nio.file.Path serviceAccount) {
        Kubeconfig kubeconfig = Kubeconfig.load(context, env, serviceAccount);
        // --request-timeout as kubectl reads it: 0 is no limit at all
        java.time.Duration limit = context.access().requestTimeout() != null ? context.access().requestTimeout()
                : requestTimeout;
        // one Credentials for every client of this connection: the streaming client shares its token cache
        Credentials credentials = Credentials.of(kubeconfig, env, java.time.Clock.systemUTC());
        ApiClient client = client(kubeconfig, env, credentials, limit);
        // connecting gives up within the request timeout too, and never later than OkHttp's own 10 s
        client.setConnectTimeout((int) Math.min(limit.toMillis(), 10_000));
        return new KubeApi(client, kubeconfig, env, credentials, kubeconfig.namespace(), context.allNamespaces());
    }

    /**
     * client-java's client for the kubeconfig (TLS, client certificates), with what it does not do as kubectl does:
     * the proxy, per-request bearer tokens, impersonation (see {@link Kubeconfig}, {@link Credentials},
     * {@link Proxies}).
     */
    private static ApiClient client(Kubeconfig kubeconfig, Map<String, String> env, Credentials credentials,
            java.time.Duration readTimeout) {
        try {
            ApiClient client = ClientBuilder.kubeconfig(kubeconfig.clientConfig()).setReadTimeout(readTimeout).build();
            Proxies.Choice proxy = Proxies.choose(kubeconfig.server(), kubeconfig.proxyUrl(), env);
            client.setHttpClient(client.getHttpClient().newBuilder()
                    .proxy(proxy.proxy())
                    .proxyAuthenticator(proxy.authenticator())
                    .addInterceptor(credentials)
                    .build());
            return client;
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot use kubeconfig " + kubeconfig.source() + ": " + e.getMessage(), e);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("kubeconfig " + kubeconfig.source() + " is not usable: " + e.getMessage(), e);
        }
    }

    public String namespace() {
        return allNamespaces ? null : namespace;
    }

    /** The namespace named by the flags or the context, even with {@code -A}. */
    public String defaultNamespace() {
        return namespace;
    }

    /**
     * A client for long-lived streams (port-forward). Its read timeout bounds the WebSocket upgrade only:
     * OkHttp lifts it once the stream is open, where a quiet engine may publish nothing for minutes.
     */
    public synchronized ApiClient streamingClient() {
        if (streaming == null) {
            streaming = client(kubeconfig, env, credentials, STREAM_UPGRADE_TIMEOUT);
        }
        return streaming;
    }

    /** Pods of a namespace that match a label selector ({@code k=v,k2=v2}). */
    public List<Map<String, Object>> pods(String ns, String labelSelector) {
        return list("/api/v1/namespaces/" + ns + "/pods",
                List.of(new io.kubernetes.client.openapi.Pair("labelSelector", labelSelector)),
                "list pods in namespace " + ns);
    }

    /**
     * The pods of a Deployment, by its {@code matchLabels}: a model's own, without a rollout's canary or green pods,
     * which carry its labels too ({@link Workloads#TRACK}); none when it selects by nothing this can read.
     */
    public List<Map<String, Object>> podsOf(Map<String, Object> deployment) {
        if (!(JsonTree.at(deployment, "spec", "selector", "matchLabels") instanceof Map<?, ?> labels) || labels.isEmpty()) {
            return List.of();
        }
        List<Map<String, Object>> pods = pods(JsonTree.namespace(deployment), LabelSelector.equalities(labels));
        return Workloads.isTrack(deployment) ? pods : pods.stream().filter(p -> !Workloads.isTrackPod(p)).toList();
    }

    /** One Service, or null when it does not exist. */
    public Map<String, Object> service(String ns, String name) {
        return getOrNull("/api/v1/namespaces/" + ns + "/services/" + name, "services " + name + " in namespace " + ns);
    }

    /** One pod, or null when it does not exist. */
    public Map<String, Object> pod(String ns, String name) {
        return getOrNull("/api/v1/namespaces/" + ns + "/pods/" + name, "pods " + name + " in namespace " + ns);
    }

    /**
     * The last {@code tailLines} lines a container logged (its previous instance's with {@code previous}, as
     * {@code kubectl logs --previous}); null when there is none (a container that never restarted has no previous
     * log: the server answers 400 "previous terminated container … not found").
     *
     * @throws IllegalStateException when the logs cannot be read (forbidden: RBAC on pods/log)
     */
    public String podLog(String ns, String pod, String container, boolean previous, int tailLines) {
        List<io.kubernetes.client.openapi.Pair> query = new ArrayList<>();
        query.add(new io.kubernetes.client.openapi.Pair("container", container));
        query.add(new io.kubernetes.client.openapi.Pair("tailLines", String.valueOf(tailLines)));
        if (previous) {
            query.add(new io.kubernetes.client.openapi.Pair("previous", "true"));
        }
        try {
            var call = client.buildCall(client.getBasePath(), "/api/v1/namespaces/" + ns + "/pods/" + pod + "/log", "GET",
                    query, new ArrayList<>(), null, new HashMap<>(), new HashMap<>(), new HashMap<>(),
                    new String[] {"BearerToken"}, null);
            return send(call);
        } catch (ApiException e) {
            if (e.getCode() == 400 || e.getCode() == 404) {
                return null;
            }
            throw failure("get pods/log of " + pod + " in namespace " + ns, e);
        }
    }

    /** The events about one object of a namespace (core/v1 Events whose involvedObject is it), oldest first. */
    public List<Map<String, Object>> eventsAbout(String ns, String kind, String name) {
        List<Map<String, Object>> events = list("/api/v1/namespaces/" + ns + "/events",
                List.of(new io.kubernetes.client.openapi.Pair("fieldSelector", "involvedObject.kind=" + kind
                        + ",involvedObject.name=" + name)), "list events in namespace " + ns);
        // the API server selects events by these fields (k8s.io/kubernetes pkg/registry/core/event/strategy.go
        // EventToSelectableFields at 00b2d95c); a server that ignores the field selector still gives the right answer
        return events.stream().filter(e -> name.equals(JsonTree.at(e, "involvedObject", "name"))
                && kind.equals(JsonTree.at(e, "involvedObject", "kind"))).toList();
    }

    /** Deployments (apps/v1) of the namespace, or of every namespace. */
    public List<Map<String, Object>> deployments() {
        return list("/apis/apps/v1" + scope() + "/deployments", "list deployments.apps");
    }

    /** The names of the namespace's Deployments that run vLLM. */
    public List<String> vllmDeploymentNames() {
        return vllmNames(deployments());
    }

    /** The names of the namespace's vLLM and SGLang Deployments that match a label selector (evaluated by the server). */
    public List<String> vllmDeploymentNames(String labelSelector) {
        LabelSelector.parse(labelSelector); // a clear error for what kubectl would refuse too
        return vllmNames(list("/apis/apps/v1/namespaces/" + namespace + "/deployments",
                List.of(new io.kubernetes.client.openapi.Pair("labelSelector", labelSelector)),
                "list deployments.apps in namespace " + namespace));
    }

    private static List<String> vllmNames(List<Map<String, Object>> deployments) {
        // a rollout's second Deployment is the model's, not a model of its own (enable MODEL promotes it)
        // sorted, as the API server lists a namespace (by key): one model after another in a predictable order
        return deployments.stream().filter(d -> Workloads.runsEngine(d) && !Workloads.isTrack(d))
                .map(d -> String.valueOf(JsonTree.at(d, "metadata", "name"))).sorted().toList();
    }

    /**
     * The HorizontalPodAutoscalers (autoscaling/v2) of a namespace that scale a Deployment, by name (KEDA's ScaledObjects
     * scale through one too); null when they may not be read.
     */
    public List<String> autoscalersOf(String ns, String deployment) {
        List<Map<String, Object>> hpas;
        try {
            Object items = get("/apis/autoscaling/v2/namespaces/" + ns + "/horizontalpodautoscalers", List.of()).get("items");
            hpas = JsonTree.maps(items);
        } catch (ApiException e) {
            if (e.getCode() == 401 || e.getCode() == 403 || e.getCode() == 404) {
                return null;
            }
            throw failure("list horizontalpodautoscalers.autoscaling in namespace " + ns, e);
        }
        return hpas.stream().filter(h -> "Deployment".equals(JsonTree.at(h, "spec", "scaleTargetRef", "kind"))
                && deployment.equals(JsonTree.at(h, "spec", "scaleTargetRef", "name")))
                .map(JsonTree::name).sorted().toList();
    }

    /** Services (v1) of the namespace, or of every namespace. */
    public List<Map<String, Object>> services() {
        return list("/api/v1" + scope() + "/services", "list services");
    }

    /**
     * What a migration or a status needs: the Deployments and Services of the namespace, the gateway
     * Deployment from its own namespace, and the ConfigMaps and Secrets its containers take settings from
     * (those we may not read are left out: their settings then read as unknown).
     */
    public List<Map<String, Object>> modelObjects(String gatewayNamespace, String gatewayDeployment) {
        List<Map<String, Object>> objects = new ArrayList<>(deployments());
        objects.addAll(services());
        Map<String, Object> gateway = objects.stream().filter(o -> "Deployment".equals(o.get("kind"))
                && gatewayDeployment.equals(JsonTree.at(o, "metadata", "name"))
                && gatewayNamespace.equals(JsonTree.at(o, "metadata", "namespace"))).findFirst().orElse(null);
        if (gateway == null) {
            gateway = deployment(gatewayNamespace, gatewayDeployment);
            if (gateway != null) {
                objects.add(gateway);
            }
        }
        if (gateway != null) {
            for (Map<String, Object> c : JsonTree.containers(gateway)) {
                for (Map<String, Object> from : JsonTree.maps(c.get("envFrom"))) {
                    addSource(objects, gatewayNamespace, "ConfigMap", JsonTree.at(from, "configMapRef", "name"));
                    addSource(objects, gatewayNamespace, "Secret", JsonTree.at(from, "secretRef", "name"));
                }
                for (Map<String, Object> e : JsonTree.maps(c.get("env"))) {
                    addSource(objects, gatewayNamespace, "ConfigMap", JsonTree.at(e, "valueFrom", "configMapKeyRef", "name"));
                    addSource(objects, gatewayNamespace, "Secret", JsonTree.at(e, "valueFrom", "secretKeyRef", "name"));
                }
            }
        }
        return objects;
    }

    private void addSource(List<Map<String, Object>> objects, String ns, String kind, Object name) {
        if (name == null || Workloads.find(objects, kind, ns, String.valueOf(name)) != null) {
            return;
        }
        String plural = kind.equals("ConfigMap") ? "configmaps" : "secrets";
        try {
            Map<String, Object> o = get("/api/v1/namespaces/" + ns + "/" + plural + "/" + name, List.of());
            o.putIfAbsent("apiVersion", "v1");
            o.putIfAbsent("kind", kind);
            objects.add(o);
        } catch (ApiException e) {
            if (e.getCode() != 403 && e.getCode() != 404) {
                throw failure("get " + plural + " " + name + " in namespace " + ns, e);
            }
        }
    }

    /**
     * The Deployments of every namespace that use KV event sync ({@code namespace/name}).
     *
     * @param users null when they cannot all be listed
     * @param why why not, for the user
     */
    public record SyncUsers(java.util.Set<String> users, String why) {
    }

    /** Every Deployment, in any namespace, labelled {@code model.aibrix.ai/kv-events-enabled=true}. */
    public SyncUsers syncUsers() {
        try {
            Map<String, Object> list = get("/apis/apps/v1/deployments",
                    List.of(new io.kubernetes.client.openapi.Pair("labelSelector", Workloads.ENABLED + "=true")));
            java.util.Set<String> users = new java.util.TreeSet<>();
            for (Map<String, Object> d : JsonTree.maps(list.get("items"))) {
                users.add(JsonTree.namespace(d) + "/" + JsonTree.name(d));
            }
            return new SyncUsers(users, null);
        } catch (ApiException e) {
            if (e.getCode() == 401 || e.getCode() == 403) {
                return new SyncUsers(null, "you may not list deployments.apps in every namespace (HTTP " + e.getCode() + ")");
            }
            throw failure("list deployments.apps in all namespaces", e);
        }
    }

    /** The object a reference names, or null when it does not exist. */
    public Map<String, Object> get(io.kvevents.sdk.ObjectRef ref) {
        String api = ref.apiVersion();
        String plural = switch (ref.kind()) {
            case "Deployment" -> "deployments";
            case "Service" -> "services";
            default -> throw new IllegalArgumentException("cannot read a " + ref.kind());
        };
        return getOrNull((api.contains("/") ? "/apis/" : "/api/") + api + "/namespaces/" + ref.namespace() + "/" + plural + "/"
                + ref.name(), plural + " " + ref.name() + " in namespace " + ref.namespace());
    }

    /** One Deployment, or null when it does not exist. */
    public Map<String, Object> deployment(String ns, String name) {
        return getOrNull("/apis/apps/v1/namespaces/" + ns + "/deployments/" + name,
                "deployments.apps " + name + " in namespace " + ns);
    }

    /**
     * Watches one Deployment: every version of it the server sends after {@code resourceVersion} goes to
     * {@code onChange}, until the returned handle is closed. The watch runs over a WebSocket, which the API
     * server serves for any watch (k8s.io/apiserver endpoints/handlers/watch.go, WatchServer.HandleWS) and
     * fabric8's mock server too. A watch the server ends or refuses just stops sending: callers read the object
     * now and then as well.
     */
    public AutoCloseable watchDeployment(String ns, String name, String resourceVersion,
            java.util.function.Consumer<Map<String, Object>> onChange) {
        List<io.kubernetes.client.openapi.Pair> query = new ArrayList<>();
        query.add(new io.kubernetes.client.openapi.Pair("watch", "true"));
        query.add(new io.kubernetes.client.openapi.Pair("fieldSelector", "metadata.name=" + name));
        if (resourceVersion != null) {
            query.add(new io.kubernetes.client.openapi.Pair("resourceVersion", resourceVersion));
        }
        java.util.concurrent.atomic.AtomicReference<okhttp3.WebSocket> socket = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicBoolean closed = new java.util.concurrent.atomic.AtomicBoolean();
        try {
            // No Sec-WebSocket-Protocol: client-java's stream() offers several (v5, v4, … channel.k8s.io), and the
            // API server's watch (golang.org/x/net/websocket without a Handshake func) answers 400 to more than one.
            ApiClient streaming = streamingClient();
            okhttp3.Call call = streaming.buildCall(streaming.getBasePath(), "/apis/apps/v1/namespaces/" + ns + "/deployments",
                    "GET", query, new ArrayList<>(), null, new HashMap<>(), new HashMap<>(), new HashMap<>(),
                    new String[] {"BearerToken"}, null);
            io.kubernetes.client.util.WebSockets.stream(call, streaming, new io.kubernetes.client.util.WebSockets.SocketListener() {
                        @Override
                        public void open(String protocol, okhttp3.WebSocket ws) {
                            socket.set(ws);
                            if (closed.get()) {
                                ws.close(1000, null);
                            }
                        }

                        @Override
                        public void bytesMessage(java.io.InputStream in) {
                            try {
                                event(new String(in.readAllBytes(), StandardCharsets.UTF_8));
                            } catch (IOException e) {
                                // a broken frame: the next one, or the end, follows
                            }
                        }

                        @Override
                        public void textMessage(Reader in) {
                            StringBuilder b = new StringBuilder();
                            try {
                                char[] buf = new char[8192];
                                for (int n; (n = in.read(buf)) >= 0; ) {
                                    b.append(buf, 0, n);
                                }
                            } catch (IOException e) {
                                return;
                            }
                            event(b.toString());
                        }

                        private void event(String text) {
                            try {
                                Map<String, Object> e = PLAIN.fromJson(text, new TypeToken<Map<String, Object>>() { }.getType());
                                if (e != null && e.get("object") instanceof Map<?, ?> o
                                        && ("ADDED".equals(e.get("type")) || "MODIFIED".equals(e.get("type")))) {
                                    @SuppressWarnings("unchecked")
                                    Map<String, Object> object = (Map<String, Object>) o;
                                    onChange.accept(object);
                                }
                            } catch (RuntimeException notAnEvent) {
                                // not a watch event (a Status): the caller's safety check covers it
                            }
                        }

                        @Override
                        public void failure(Throwable t) {
                            // the watch ended: the caller's periodic read takes over
                        }

                        @Override
                        public void close() {
                            // the server ended the watch (its timeout): the caller's periodic read takes over
                        }
                    });
        } catch (ApiException e) {
            // no watch: the caller's periodic read takes over
        }
        return () -> {
            closed.set(true);
            okhttp3.WebSocket ws = socket.get();
            if (ws != null) {
                ws.close(1000, null);
            }
        };
    }

    /** The object at {@code path}, or null when the server says 404; {@code what} names it in errors. */
    private Map<String, Object> getOrNull(String path, String what) {
        try {
            return get(path, List.of());
        } catch (ApiException e) {
            if (e.getCode() == 404) {
                return null;
            }
            throw failure("get " + what, e);
        }
    }

    /** A JSON patch was refused because the object changed since it was read (the resourceVersion test failed). */
    public static final class ConflictException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        ConflictException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Sends a JSON patch to an object.
     *
     * @param serverDryRun {@code dryRun=All}: the server validates and answers, and stores nothing
     * @throws ConflictException when the object changed since it was read
     */
    public void patch(Map<String, Object> object, String jsonPatch, boolean serverDryRun) {
        String path = path(object);
        List<io.kubernetes.client.openapi.Pair> query = new ArrayList<>();
        if (serverDryRun) {
            query.add(new io.kubernetes.client.openapi.Pair("dryRun", "All"));
        }
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", "application/json-patch+json");
        headers.put("Accept", "application/json");
        try {
            var call = client.buildCall(client.getBasePath(), path, "PATCH", query, new ArrayList<>(),
                    com.google.gson.JsonParser.parseString(jsonPatch), headers, new HashMap<>(), new HashMap<>(),
                    new String[] {"BearerToken"}, null);
            send(call);
        } catch (ApiException e) {
            String what = "patch " + JsonTree.target(object) + " in namespace " + JsonTree.at(object, "metadata", "namespace");
            // the resourceVersion the patch carries is a precondition: the server answers 409 Conflict when
            // the object changed since it was read (k8s.io/apiserver registry/generic/registry/store.go, Update);
            // a PATCH has no other 409 (fabric8's CRUD stand-in says reason Invalid, the real server Conflict)
            if (e.getCode() == 409 && !"AlreadyExists".equals(reason(e.getResponseBody()))) {
                throw new ConflictException(JsonTree.target(object) + " changed while it was being patched", e);
            }
            throw failure(what, e);
        }
    }

    /** Who acts, as the kubeconfig names the user (for the migration log). */
    public String who() {
        return kubeconfig.who();
    }

    /**
     * Creates an object (a Deployment or a ConfigMap) and returns it as the server stored it.
     *
     * @throws IllegalStateException when it exists already or cannot be created (the message says why)
     */
    public Map<String, Object> create(Map<String, Object> object) {
        String path = path(object);
        String collection = path.substring(0, path.lastIndexOf('/'));
        try {
            var call = client.buildCall(client.getBasePath(), collection, "POST", new ArrayList<>(), new ArrayList<>(),
                    PLAIN.toJsonTree(object), new HashMap<>(Map.of("Accept", "application/json", "Content-Type", "application/json")), new HashMap<>(),
                    new HashMap<>(), new String[] {"BearerToken"}, null);
            return PLAIN.fromJson(send(call), new TypeToken<Map<String, Object>>() { }.getType());
        } catch (ApiException e) {
            throw failure("create " + JsonTree.target(object) + " in namespace " + JsonTree.namespace(object), e);
        }
    }

    /** Replaces an object (PUT), guarded by the resourceVersion it carries. */
    public Map<String, Object> replace(Map<String, Object> object) {
        try {
            var call = client.buildCall(client.getBasePath(), path(object), "PUT", new ArrayList<>(), new ArrayList<>(),
                    PLAIN.toJsonTree(object), new HashMap<>(Map.of("Accept", "application/json", "Content-Type", "application/json")), new HashMap<>(),
                    new HashMap<>(), new String[] {"BearerToken"}, null);
            return PLAIN.fromJson(send(call), new TypeToken<Map<String, Object>>() { }.getType());
        } catch (ApiException e) {
            if (e.getCode() == 409) {
                throw new ConflictException(JsonTree.target(object) + " changed while it was being replaced", e);
            }
            throw failure("replace " + JsonTree.target(object) + " in namespace " + JsonTree.namespace(object), e);
        }
    }

    /** Deletes an object; true when it was there. */
    public boolean delete(io.kvevents.sdk.ObjectRef ref) {
        Map<String, Object> shape = new java.util.LinkedHashMap<>();
        shape.put("apiVersion", ref.apiVersion());
        shape.put("kind", ref.kind());
        shape.put("metadata", Map.of("namespace", ref.namespace(), "name", ref.name()));
        try {
            var call = client.buildCall(client.getBasePath(), path(shape), "DELETE", new ArrayList<>(), new ArrayList<>(),
                    null, new HashMap<>(), new HashMap<>(), new HashMap<>(), new String[] {"BearerToken"}, null);
            send(call);
            return true;
        } catch (ApiException e) {
            if (e.getCode() == 404) {
                return false;
            }
            throw failure("delete " + ref.target() + " in namespace " + ref.namespace(), e);
        }
    }

    /** One ConfigMap, or null when it does not exist. */
    public Map<String, Object> configMap(String ns, String name) {
        return getOrNull("/api/v1/namespaces/" + ns + "/configmaps/" + name, "configmaps " + name + " in namespace " + ns);
    }

    /**
     * Asks the server whether we may {@code verb} the objects' resource in their namespace
     * (SelfSubjectAccessReview); null when the server does not say.
     */
    public Boolean canI(String verb, Map<String, Object> object) {
        String api = String.valueOf(object.get("apiVersion"));
        Map<String, Object> attributes = new java.util.LinkedHashMap<>();
        attributes.put("namespace", JsonTree.at(object, "metadata", "namespace"));
        attributes.put("verb", verb);
        attributes.put("group", api.contains("/") ? api.substring(0, api.indexOf('/')) : "");
        attributes.put("resource", resource(object));
        Map<String, Object> review = new java.util.LinkedHashMap<>();
        review.put("apiVersion", "authorization.k8s.io/v1");
        review.put("kind", "SelfSubjectAccessReview");
        review.put("spec", Map.of("resourceAttributes", attributes));
        Map<String, String> headers = new HashMap<>();
        headers.put("Content-Type", "application/json");
        try {
            var call = client.buildCall(client.getBasePath(), "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews", "POST",
                    new ArrayList<>(), new ArrayList<>(), PLAIN.toJsonTree(review), headers, new HashMap<>(), new HashMap<>(),
                    new String[] {"BearerToken"}, null);
            Map<String, Object> answer = PLAIN.fromJson(send(call), new TypeToken<Map<String, Object>>() { }.getType());
            Object allowed = JsonTree.at(answer, "status", "allowed");
            return allowed instanceof Boolean b ? b : null;
        } catch (ApiException | RuntimeException e) {
            return null; // a server without the authorization API: the writes themselves will say
        }
    }

    /** {@code deployments.apps}, {@code services}: the resource as RBAC and kubectl name it. */
    public static String resourceName(Map<String, Object> object) {
        String api = String.valueOf(object.get("apiVersion"));
        return resource(object) + (api.contains("/") ? "." + api.substring(0, api.indexOf('/')) : "");
    }

    private static String resource(Map<String, Object> object) {
        return switch (String.valueOf(object.get("kind"))) {
            case "Deployment" -> "deployments";
            case "Service" -> "services";
            case "ConfigMap" -> "configmaps";
            default -> throw new IllegalArgumentException("cannot patch a " + object.get("kind"));
        };
    }

    /** The REST path of an object, from its apiVersion, kind, namespace and name. */
    static String path(Map<String, Object> object) {
        String api = String.valueOf(object.get("apiVersion"));
        String plural = resource(object);
        return (api.contains("/") ? "/apis/" : "/api/") + api + "/namespaces/" + JsonTree.at(object, "metadata", "namespace")
                + "/" + plural + "/" + JsonTree.at(object, "metadata", "name");
    }

    private String scope() {
        return allNamespaces ? "" : "/namespaces/" + namespace;
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> list(String path, String what) {
        return list(path, List.of(), what + (allNamespaces ? " in all namespaces" : " in namespace " + namespace));
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> list(String path, List<io.kubernetes.client.openapi.Pair> query, String what) {
        try {
            Map<String, Object> list = get(path, query);
            List<Map<String, Object>> items = (List<Map<String, Object>>) list.getOrDefault("items", List.of());
            // a list's items carry no kind or apiVersion: put them back, as kubectl get -o yaml does
            String kind = String.valueOf(list.get("kind")).replaceFirst("List$", "");
            for (Map<String, Object> item : items) {
                item.putIfAbsent("apiVersion", list.get("apiVersion"));
                item.putIfAbsent("kind", kind);
            }
            return items;
        } catch (ApiException e) {
            throw failure(what, e);
        }
    }

    private Map<String, Object> get(String path, List<io.kubernetes.client.openapi.Pair> query) throws ApiException {
        var call = client.buildCall(client.getBasePath(), path, "GET", new ArrayList<>(query), new ArrayList<>(), null,
                new HashMap<>(), new HashMap<>(), new HashMap<>(), new String[] {"BearerToken"}, null);
        String body = send(call);
        // Integers must stay integers: a containerPort read back as 8000.0 and patched is refused by the server.
        return PLAIN.fromJson(body, new TypeToken<Map<String, Object>>() { }.getType());
    }

    /** Runs a call built (and authenticated) by client-java; the body as text, failures as ApiException. */
    private static String send(okhttp3.Call call) throws ApiException {
        try (okhttp3.Response response = call.execute()) {
            String body = response.body() == null ? "" : response.body().string();
            if (!response.isSuccessful()) {
                throw new ApiException(response.code(), response.headers().toMultimap(), body);
            }
            return body;
        } catch (java.io.IOException e) {
            throw new ApiException(e);
        }
    }

    private IllegalStateException failure(String what, ApiException e) {
        if (e.getCode() == 0) {
            return new IllegalStateException("cannot reach the API server at " + client.getBasePath() + " to " + what
                    + ": " + (e.getCause() == null ? e.getMessage() : e.getCause().getMessage()), e);
        }
        if (e.getCode() == 401 || e.getCode() == 403) {
            return new IllegalStateException("forbidden: cannot " + what + " (HTTP " + e.getCode() + "); ask for"
                    + " RBAC that allows it", e);
        }
        return new IllegalStateException("cannot " + what + ": HTTP " + e.getCode() + " " + firstLine(e.getResponseBody()), e);
    }

    /** The {@code reason} of a Kubernetes Status body, or null. */
    private static String reason(String body) {
        try {
            Object r = JsonTree.at(PLAIN.fromJson(body, new TypeToken<Map<String, Object>>() { }.getType()), "reason");
            return r == null ? null : String.valueOf(r);
        } catch (RuntimeException notAStatus) {
            return null;
        }
    }

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
