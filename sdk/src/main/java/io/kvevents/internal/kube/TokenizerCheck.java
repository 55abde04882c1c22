package io.kvevents.internal.kube;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The pre-flight check of the remote tokenizer the gateway will call (docs/migration-guide.md): its URL names a Service
 * by cluster DNS ({@code http://NAME.NAMESPACE[.svc[.cluster.local]]:PORT}), which a machine outside
 * the cluster cannot resolve, so {@code /health} is asked of one of the Service's ready pods through
 * port-forward, on the port the Service sends that URL's port to.
 */
public final class TokenizerCheck {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private TokenizerCheck() {
    }

    /** What the check found: {@code checked} false when the URL names no Service of the cluster. */
    public record Outcome(boolean checked, String message) {
    }

    /**
     * @param gatewayNamespace where a bare Service name resolves: the gateway calls the URL from there
     * @return that it answers /health, or why it could not be checked (a host that is no Service of the
     *     cluster may well be reachable from the gateway)
     * @throws IllegalStateException when the Service exists and its tokenizer does not answer
     */
    @SuppressWarnings("unchecked")
    public static Outcome check(KubeApi api, String url, String gatewayNamespace) {
        URI uri = URI.create(url);
        String host = uri.getHost();
        if (host == null) {
            throw new IllegalArgumentException("the tokenizer URL " + url + " names no host");
        }
        String[] labels = host.split("\\.");
        String name = labels[0];
        String namespace = labels.length > 1 ? labels[1] : gatewayNamespace;
        boolean clusterName = labels.length <= 2 || host.endsWith(".svc") || host.endsWith(".svc.cluster.local");
        Map<String, Object> service = clusterName ? api.service(namespace, name) : null;
        if (service == null) {
            return new Outcome(false, "tokenizer " + url + " not checked: no Service " + name + " in namespace " + namespace
                    + " (the gateway may still reach it)");
        }
        int port = uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
        if (!(JsonTree.at(service, "spec", "selector") instanceof Map<?, ?> selector) || selector.isEmpty()) {
            return new Outcome(false, "tokenizer " + url + " not checked: Service " + namespace + "/" + name
                    + " selects no pods");
        }
        String labelSelector = ((Map<String, Object>) selector).entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(","));
        Map<String, Object> pod = api.pods(namespace, labelSelector).stream().filter(PodTargets::isReady).findFirst()
                .orElseThrow(() -> new IllegalStateException("the tokenizer Service " + namespace + "/" + name
                        + " has no ready pod: the gateway could not tokenize (give --force to enable anyway)"));
        String podName = String.valueOf(JsonTree.at(pod, "metadata", "name"));
        int target = targetPort(service, pod, port);
        String problem;
        try (PortForwarder forward = PortForwarder.open(api.streamingClient(), namespace, podName, target, reason -> { })) {
            HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
            HttpResponse<String> answer = http.send(HttpRequest.newBuilder(URI.create(forward.httpUrl() + "/health"))
                    .timeout(TIMEOUT).GET().build(), HttpResponse.BodyHandlers.ofString());
            if (answer.statusCode() == 200) {
                return new Outcome(true, "tokenizer " + url + " answers /health (pod " + podName + ")");
            }
            problem = "answered /health with HTTP " + answer.statusCode();
        } catch (IOException e) {
            problem = "does not answer /health (" + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the tokenizer", e);
        }
        throw new IllegalStateException("the tokenizer " + url + " " + problem + " on pod " + podName
                + ": the gateway could not tokenize (give --force to enable anyway)");
    }

    /** The pod port the Service sends {@code port} to: a number, or a container port's name. */
    private static int targetPort(Map<String, Object> service, Map<String, Object> pod, int port) {
        if (JsonTree.at(service, "spec", "ports") instanceof List<?> ports) {
            for (Object p : ports) {
                if (p instanceof Map<?, ?> m && m.get("port") instanceof Number n && n.intValue() == port) {
                    Object target = m.get("targetPort");
                    if (target instanceof Number t) {
                        return t.intValue();
                    }
                    if (target instanceof String named) {
                        return namedPort(pod, named, port);
                    }
                    return port;
                }
            }
        }
        return port;
    }

    private static int namedPort(Map<String, Object> pod, String name, int fallback) {
        if (JsonTree.at(pod, "spec", "containers") instanceof List<?> containers) {
            for (Object c : containers) {
                if (c instanceof Map<?, ?> m && m.get("ports") instanceof List<?> ports) {
                    for (Object p : ports) {
                        if (p instanceof Map<?, ?> pm && name.equals(pm.get("name")) && pm.get("containerPort") instanceof Number n) {
                            return n.intValue();
                        }
                    }
                }
            }
        }
        return fallback;
    }
}
