package io.kvevents.sdk;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kvevents.internal.kube.Flags;
import io.kvevents.internal.kube.KubeApi;
import io.kvevents.internal.kube.JsonTree;
import io.kvevents.internal.kube.Workloads;
import io.kvevents.internal.kube.EnablePlanner;
import io.kvevents.internal.kube.Engine;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A model Deployment as KV event sync sees it: its engine container (vLLM or SGLang), the version its image
 * tag names, the KV-event settings the engine reads from its arguments (inside a {@code sh -c} script too:
 * {@code --kv-events-config} or the migration guide's flags), its ports and the labels on the Deployment and
 * on its pod template.
 *
 * <pre>{@code
 * ModelDeployment.find(Manifests.read(List.of(Path.of("llama.yaml"))), "llama-3-8b").kvEvents()
 * }</pre>
 *
 * @param engine {@code vllm} or {@code sglang}
 * @param engineVersion the version in the image tag ({@code 0.11.0}), or null when the tag names none
 * @param replicas the Deployment's {@code spec.replicas} (1 when unset)
 * @param readyReplicas {@code status.readyReplicas}, or -1 for manifests without a status
 */
public record ModelDeployment(String name, String namespace, String container, String engine, String image,
        String engineVersion,
        KvEventsArgs kvEvents, List<Port> ports, Map<String, String> labels, Map<String, String> podLabels,
        Map<String, String> selector, int replicas, int readyReplicas) {

    /** A container port. */
    public record Port(String name, int containerPort) {
    }

    /** How the container's arguments ask vLLM to publish KV events. */
    public enum Style {
        /** vLLM's {@code --kv-events-config JSON}. */
        CONFIG,
        /** The migration guide's {@code --enable-kv-cache-events} flags, which vLLM rejects. */
        SEED,
        /** Neither. */
        NONE
    }

    /**
     * The KV-event settings of the arguments.
     *
     * @param enabled the config turns publishing on (vLLM's {@code enable_kv_cache_events}, SGLang's zmq
     *     publisher) or the guide's flag is there (SEED)
     */
    public record KvEventsArgs(Style style, boolean enabled, String publisher, String endpoint, String replayEndpoint,
            String topic) {

        /** No KV-event arguments. */
        public static final KvEventsArgs NONE = new KvEventsArgs(Style.NONE, false, null, null, null, null);
    }

    public ModelDeployment {
        ports = List.copyOf(ports);
        labels = Map.copyOf(labels);
        podLabels = Map.copyOf(podLabels);
        selector = Map.copyOf(selector);
    }

    /**
     * Reads a Deployment object (as {@link Manifests#read} or the API server gives it).
     *
     * @throws IllegalArgumentException when it is no Deployment or runs neither vLLM nor SGLang
     */
    public static ModelDeployment of(Map<String, Object> deployment) {
        if (!"Deployment".equals(deployment.get("kind"))) {
            throw new IllegalArgumentException("not a Deployment: " + deployment.get("kind"));
        }
        String name = String.valueOf(JsonTree.at(deployment, "metadata", "name"));
        Map<String, Object> container = Workloads.findEngineContainer(deployment);
        if (container == null) {
            throw new IllegalArgumentException("deployment.apps/" + name + " runs no vLLM or SGLang container (no image or"
                    + " command naming either)");
        }
        Engine engine = Engine.of(container);
        List<String> args = new ArrayList<>();
        try {
            args.addAll(EnablePlanner.engineArgv(container)); // the words the engine parses, a script's own included
        } catch (IllegalArgumentException notOneCommand) {
            for (String field : List.of("command", "args")) {
                if (container.get(field) instanceof List<?> l) {
                    l.forEach(w -> args.add(String.valueOf(w)));
                }
            }
        }
        List<Port> ports = new ArrayList<>();
        if (container.get("ports") instanceof List<?> l) {
            for (Object p : l) {
                if (p instanceof Map<?, ?> m && m.get("containerPort") instanceof Number n) {
                    ports.add(new Port(m.get("name") == null ? null : String.valueOf(m.get("name")), n.intValue()));
                }
            }
        }
        String image = String.valueOf(container.get("image"));
        int[] v = EnablePlanner.version(image);
        return new ModelDeployment(name, (String) JsonTree.at(deployment, "metadata", "namespace"),
                String.valueOf(container.get("name")), engine.label(), image,
                v == null ? null : v[0] + "." + v[1] + "." + v[2], kvEventsArgs(args, engine), ports, strings(JsonTree.at(deployment, "metadata", "labels")),
                strings(JsonTree.at(deployment, "spec", "template", "metadata", "labels")),
                strings(JsonTree.at(deployment, "spec", "selector", "matchLabels")),
                number(JsonTree.at(deployment, "spec", "replicas"), 1),
                deployment.get("status") instanceof Map<?, ?> ? number(JsonTree.at(deployment, "status", "readyReplicas"), 0)
                        : -1);
    }

    /**
     * The Deployment named {@code model} (or labelled {@code model.aibrix.ai/name=model}) among manifests.
     *
     * @throws IllegalArgumentException when there is none
     */
    public static ModelDeployment find(List<Map<String, Object>> manifests, String model) {
        for (Map<String, Object> o : manifests) {
            if ("Deployment".equals(o.get("kind")) && (model.equals(JsonTree.at(o, "metadata", "name"))
                    || Workloads.aibrixModelName(o).filter(model::equals).isPresent())) {
                return of(o);
            }
        }
        throw new IllegalArgumentException("no Deployment named " + model + " in the manifests");
    }

    /** The Deployment {@code name} of the context's namespace, read from its API server. */
    public static ModelDeployment read(KubeContext context, String name) {
        KubeApi api = KubeApi.connect(context);
        Map<String, Object> d = api.deployment(api.defaultNamespace(), name);
        if (d == null) {
            throw new IllegalArgumentException("no Deployment named " + name + " in namespace " + api.defaultNamespace());
        }
        return of(d);
    }

    /** The names of the Services among {@code manifests} that select this Deployment's pods. */
    public List<String> servicesIn(List<Map<String, Object>> manifests) {
        List<String> names = new ArrayList<>();
        for (Map<String, Object> o : manifests) {
            if ("Service".equals(o.get("kind")) && Objects.equals(namespace, JsonTree.at(o, "metadata", "namespace"))
                    && JsonTree.at(o, "spec", "selector") instanceof Map<?, ?> s && !s.isEmpty()
                    && s.entrySet().stream().allMatch(e -> String.valueOf(e.getValue()).equals(podLabels.get(String.valueOf(e.getKey()))))) {
                names.add(String.valueOf(JsonTree.at(o, "metadata", "name")));
            }
        }
        return names;
    }

    /** The container port with this name, or null. */
    public Integer port(String portName) {
        return ports.stream().filter(p -> portName.equals(p.name())).map(Port::containerPort).findFirst().orElse(null);
    }

    @Override
    public String toString() {
        return "ModelDeployment[" + (namespace == null ? "" : namespace + "/") + name + " " + container + " " + engine + " "
                + (engineVersion == null ? "?" : engineVersion) + " kv-events " + kvEvents.style().name().toLowerCase(Locale.ROOT)
                + (kvEvents.enabled() ? " on" : " off") + " ports=" + ports.stream().map(p -> p.name() + ":" + p.containerPort()).toList()
                + " replicas=" + replicas + "]";
    }

    private static KvEventsArgs kvEventsArgs(List<String> args, Engine engine) {
        String config = Flags.value(args, "--kv-events-config");
        if (config != null) {
            try {
                JsonObject c = JsonParser.parseString(config).getAsJsonObject();
                return new KvEventsArgs(Style.CONFIG, engine.publishes(c), text(c, "publisher"), text(c, "endpoint"), text(c, "replay_endpoint"), text(c, "topic"));
            } catch (RuntimeException notJson) {
                return new KvEventsArgs(Style.CONFIG, false, null, null, null, null); // status reports it
            }
        }
        if (args.stream().anyMatch(a -> a.startsWith("--enable-kv-cache-events") || a.startsWith("--kv-events-"))) {
            return new KvEventsArgs(Style.SEED, args.stream().anyMatch(a -> a.startsWith("--enable-kv-cache-events")),
                    Flags.value(args, "--kv-events-publisher"), Flags.value(args, "--kv-events-endpoint"),
                    Flags.value(args, "--kv-events-replay-endpoint"), null);
        }
        return KvEventsArgs.NONE;
    }

    private static String text(JsonObject o, String key) {
        return o.has(key) && !o.get(key).isJsonNull() ? o.get(key).getAsString() : null;
    }

    private static Map<String, String> strings(Object map) {
        Map<String, String> out = new LinkedHashMap<>();
        if (map instanceof Map<?, ?> m) {
            m.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
        }
        return out;
    }

    private static int number(Object v, int absent) {
        return v instanceof Number n ? n.intValue() : absent;
    }
}
