package io.kvevents.sdk;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One publisher: a vLLM engine (a pod's data-parallel rank) with its live PUB endpoint and, when it
 * has one, its replay ROUTER endpoint.
 *
 * @param name how the source is shown (a pod name, or the name given to {@code --endpoint})
 * @param liveEndpoint e.g. {@code tcp://10.0.0.7:5557}
 * @param replayEndpoint e.g. {@code tcp://10.0.0.7:5558}, or null when the publisher has none
 * @param topic subscription prefix; empty subscribes to every topic
 * @param model the model the engine serves, when known before its first batch (its Deployment, or
 *     {@code model=NAME}); null leaves it to the first live topic that names one
 */
public record SourceSpec(String name, String liveEndpoint, String replayEndpoint, String topic, String model) {

    private static final Pattern ENDPOINT = Pattern.compile("(tcp://(\\[[0-9a-fA-F:.]+]|[^:/\\[\\]]+):\\d{1,5}|ipc://.+|inproc://.+)");

    public SourceSpec {
        requireName(name);
        requireEndpoint(liveEndpoint, "live endpoint");
        if (replayEndpoint != null) {
            requireEndpoint(replayEndpoint, "replay endpoint");
        }
        topic = topic == null ? "" : topic;
        model = model == null || model.isBlank() ? null : model;
    }

    /** A source whose model is left to its topics. */
    public SourceSpec(String name, String liveEndpoint, String replayEndpoint, String topic) {
        this(name, liveEndpoint, replayEndpoint, topic, null);
    }

    /** This source, serving {@code m}. */
    public SourceSpec withModel(String m) {
        return new SourceSpec(name, liveEndpoint, replayEndpoint, topic, m);
    }

    /** A source with live and replay endpoints, all topics. */
    public static SourceSpec of(String name, String liveEndpoint, String replayEndpoint) {
        return new SourceSpec(name, liveEndpoint, replayEndpoint, "");
    }

    /** A source without replay: history before the first live message cannot be recovered. */
    public static SourceSpec liveOnly(String name, String liveEndpoint) {
        return new SourceSpec(name, liveEndpoint, null, "");
    }

    /**
     * Parses the command-line form {@code NAME=tcp://HOST:PORT[,replay=tcp://HOST:PORT][,topic=PREFIX][,model=NAME]};
     * without {@code NAME=} the source is named after the endpoint's host and port.
     */
    public static SourceSpec parse(String text) {
        Objects.requireNonNull(text, "text");
        String[] parts = text.split(",");
        String head = parts[0].strip();
        String name;
        String live;
        int eq = head.indexOf('=');
        if (eq > 0 && !head.substring(0, eq).contains("://")) {
            name = head.substring(0, eq);
            live = head.substring(eq + 1);
        } else {
            live = head;
            name = live.replaceFirst("^[a-z]+://", "");
        }
        String replay = null;
        String topic = "";
        String model = null;
        for (int i = 1; i < parts.length; i++) {
            String p = parts[i].strip();
            if (p.startsWith("model=")) {
                model = p.substring("model=".length());
            } else if (p.startsWith("replay=")) {
                replay = p.substring("replay=".length());
            } else if (p.startsWith("topic=")) {
                topic = p.substring("topic=".length());
            } else {
                throw new IllegalArgumentException("unknown endpoint option '" + p + "' in '" + text
                        + "': expected NAME=tcp://HOST:PORT[,replay=tcp://HOST:PORT][,topic=PREFIX][,model=NAME]");
            }
        }
        return new SourceSpec(name, live, replay, topic, model);
    }

    private static void requireName(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a source needs a name, e.g. pod-a=tcp://127.0.0.1:5557");
        }
    }

    private static void requireEndpoint(String endpoint, String what) {
        if (endpoint != null && (endpoint.startsWith("tcp://*:") || endpoint.startsWith("tcp://0.0.0.0:"))) {
            throw new IllegalArgumentException(what + " '" + endpoint + "' is the address vLLM binds to; connect to"
                    + " the pod's address instead, e.g. tcp://10.0.0.7:" + endpoint.substring(endpoint.lastIndexOf(':') + 1));
        }
        if (endpoint == null || !ENDPOINT.matcher(endpoint).matches()) {
            throw new IllegalArgumentException("invalid " + what + " '" + endpoint
                    + "': expected tcp://HOST:PORT (or ipc://PATH)");
        }
        if (endpoint.startsWith("tcp://")) {
            int port = Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
            if (port < 1 || port > 65_535) {
                throw new IllegalArgumentException("invalid " + what + " '" + endpoint + "': port " + port
                        + " is not between 1 and 65535");
            }
        }
    }

    @Override
    public String toString() {
        return name + "=" + liveEndpoint + (replayEndpoint == null ? "" : ",replay=" + replayEndpoint)
                + (topic.isEmpty() ? "" : ",topic=" + topic) + (model == null ? "" : ",model=" + model);
    }
}
