package io.kvevents.internal.kube;

import com.google.gson.reflect.TypeToken;
import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.util.ClientBuilder;
import io.kubernetes.client.util.KubeConfig;
import io.kvevents.sdk.KubeContext;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads objects from the API server as plain maps (the planners' currency), through client-java's
 * authenticated client. Never falls back to localhost:8080: without a kubeconfig it says so.
 */
public final class KubeReader {
    private final ApiClient client;
    private final String namespace;
    private final boolean allNamespaces;

    private KubeReader(ApiClient client, String namespace, boolean allNamespaces) {
        this.client = client;
        this.namespace = namespace;
        this.allNamespaces = allNamespaces;
    }

    public static KubeReader connect(KubeContext context) {
        Path file = kubeconfig(context);
        try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            KubeConfig config = KubeConfig.loadKubeConfig(reader);
            config.setFile(file.toFile());
            if (context.context() != null && !config.setContext(context.context())) {
                throw new IllegalArgumentException("context " + context.context() + " is not in " + file);
            }
            String ns = context.namespace() != null ? context.namespace()
                    : config.getNamespace() != null ? config.getNamespace() : "default";
            return new KubeReader(ClientBuilder.kubeconfig(config).build(), ns, context.allNamespaces());
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read kubeconfig " + file + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            if (e instanceof IllegalArgumentException) {
                throw e;
            }
            throw new IllegalArgumentException("kubeconfig " + file + " is not usable: " + e.getMessage(), e);
        }
    }

    /** The first kubeconfig file kubectl would read (a colon-separated $KUBECONFIG's first existing file). */
    private static Path kubeconfig(KubeContext context) {
        List<Path> candidates = new ArrayList<>(context.kubeconfig());
        if (candidates.isEmpty()) {
            String env = System.getenv("KUBECONFIG");
            if (env != null && !env.isBlank()) {
                for (String p : env.split(java.io.File.pathSeparator)) {
                    if (!p.isBlank()) {
                        candidates.add(Path.of(p));
                    }
                }
            } else {
                candidates.add(Path.of(System.getProperty("user.home"), ".kube", "config"));
            }
        }
        for (Path p : candidates) {
            if (Files.isReadable(p)) {
                return p;
            }
        }
        throw new IllegalArgumentException("no kubeconfig: tried " + candidates
                + "; give --kubeconfig FILE (or set KUBECONFIG)");
    }

    public String namespace() {
        return allNamespaces ? null : namespace;
    }

    /** Deployments (apps/v1) of the namespace, or of every namespace. */
    public List<Map<String, Object>> deployments() {
        return list("/apis/apps/v1" + scope() + "/deployments", "list deployments.apps");
    }

    /** Services (v1) of the namespace, or of every namespace. */
    public List<Map<String, Object>> services() {
        return list("/api/v1" + scope() + "/services", "list services");
    }

    /** One Deployment, or null when it does not exist. */
    public Map<String, Object> deployment(String ns, String name) {
        try {
            return get("/apis/apps/v1/namespaces/" + ns + "/deployments/" + name);
        } catch (ApiException e) {
            if (e.getCode() == 404) {
                return null;
            }
            throw failure("get deployments.apps " + name + " in namespace " + ns, e);
        }
    }

    private String scope() {
        return allNamespaces ? "" : "/namespaces/" + namespace;
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> list(String path, String what) {
        try {
            Map<String, Object> list = get(path);
            List<Map<String, Object>> items = (List<Map<String, Object>>) list.getOrDefault("items", List.of());
            // a list's items carry no kind or apiVersion: put them back, as kubectl get -o yaml does
            String kind = String.valueOf(list.get("kind")).replaceFirst("List$", "");
            for (Map<String, Object> item : items) {
                item.putIfAbsent("apiVersion", list.get("apiVersion"));
                item.putIfAbsent("kind", kind);
            }
            return items;
        } catch (ApiException e) {
            throw failure(what + (allNamespaces ? " in all namespaces" : " in namespace " + namespace), e);
        }
    }

    private Map<String, Object> get(String path) throws ApiException {
        var call = client.buildCall(client.getBasePath(), path, "GET", new ArrayList<>(), new ArrayList<>(), null,
                new HashMap<>(), new HashMap<>(), new HashMap<>(), new String[] {"BearerToken"}, null);
        return client.<Map<String, Object>>execute(call, new TypeToken<Map<String, Object>>() { }.getType()).getData();
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

    private static String firstLine(String s) {
        return s == null ? "" : s.lines().findFirst().orElse("");
    }
}
