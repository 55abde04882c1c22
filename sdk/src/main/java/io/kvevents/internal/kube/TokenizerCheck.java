package io.kvevents.internal.kube;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

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
     * What a look at the tokenizer found.
     *
     * @param answered null when it could not be asked (the URL names no Service of the cluster), else whether it
     *     answered {@code /health} and {@code /tokenize} as the gateway calls it
     */
    public record Probe(Boolean answered, String message) {
    }

    /**
     * Enable's pre-flight: see {@link #probe}.
     *
     * @throws IllegalStateException when the Service exists and its tokenizer does not answer
     */
    public static Outcome check(KubeApi api, String url, String gatewayNamespace) {
        Probe p = probe(api, url, gatewayNamespace);
        if (Boolean.FALSE.equals(p.answered())) {
            throw new IllegalStateException(p.message() + ": the gateway could not tokenize (give --force to enable anyway)");
        }
        return new Outcome(p.answered() != null, p.message());
    }

    /**
     * Asks the tokenizer the gateway will call: {@code /health}, then {@code /tokenize} with a prompt, as AIBrix
     * e3e10f9 pkg/utils/tokenizer/adapter_vllm.go sends it ({@code {"prompt": …, "add_special_tokens": true}}), on
     * one of the Service's ready pods through port-forward.
     *
     * @param gatewayNamespace where a bare Service name resolves: the gateway calls the URL from there
     */
    public static Probe probe(KubeApi api, String url, String gatewayNamespace) {
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
            return new Probe(null, "tokenizer " + url + " not checked: no Service " + name + " in namespace " + namespace
                    + " (the gateway may still reach it)");
        }
        int port = uri.getPort() > 0 ? uri.getPort() : "https".equals(uri.getScheme()) ? 443 : 80;
        if (!(JsonTree.at(service, "spec", "selector") instanceof Map<?, ?> selector) || selector.isEmpty()) {
            return new Probe(null, "tokenizer " + url + " not checked: Service " + namespace + "/" + name
                    + " selects no pods");
        }
        String labelSelector = LabelSelector.equalities(selector);
        Map<String, Object> pod = api.pods(namespace, labelSelector).stream().filter(PodTargets::isReady).findFirst()
                .orElse(null);
        if (pod == null) {
            return new Probe(false, "the tokenizer Service " + namespace + "/" + name + " has no ready pod");
        }
        String podName = String.valueOf(JsonTree.at(pod, "metadata", "name"));
        int target = targetPort(service, pod, port);
        String base = uri.getPath() == null ? "" : uri.getPath().replaceAll("/+$", "");
        try (PortForwarder forward = PortForwarder.open(api.streamingClient(), namespace, podName, target, reason -> { })) {
            HttpClient http = io.kvevents.internal.http.EngineHttp.client(TIMEOUT);
            HttpResponse<String> health;
            try {
                // vLLM serves /health at the root whatever path the URL names
                health = http.send(HttpRequest.newBuilder(URI.create(forward.httpUrl() + "/health")).timeout(TIMEOUT).GET()
                        .build(), HttpResponse.BodyHandlers.ofString());
            } catch (IOException e) {
                return new Probe(false, "the tokenizer " + url + " does not answer /health ("
                        + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ") on pod " + podName);
            }
            if (health.statusCode() != 200) {
                return new Probe(false, "the tokenizer " + url + " answered /health with HTTP " + health.statusCode()
                        + " on pod " + podName);
            }
            HttpResponse<String> tokens = http.send(HttpRequest.newBuilder(URI.create(forward.httpUrl() + base + "/tokenize"))
                    .timeout(TIMEOUT).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\":\"kvevents doctor\",\"add_special_tokens\":true}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            if (tokens.statusCode() != 200 || !tokens.body().contains("\"tokens\"")) {
                return new Probe(false, "the tokenizer " + url + " answers /health but /tokenize gave HTTP "
                        + tokens.statusCode() + (tokens.body().isBlank() ? "" : " " + tokens.body().lines().findFirst().orElse(""))
                        + " on pod " + podName + (tokens.statusCode() == 404 && base.endsWith("/v1")
                                ? " (vLLM serves /tokenize at the root, and the gateway appends /tokenize to the URL as"
                                        + " given: drop /v1)" : ""));
            }
            return new Probe(true, "tokenizer " + url + " answers /health and /tokenize (pod " + podName + ")");
        } catch (IOException e) {
            return new Probe(false, "the tokenizer " + url + " answers /health but not /tokenize ("
                    + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()) + ") on pod " + podName);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while checking the tokenizer", e);
        }
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
