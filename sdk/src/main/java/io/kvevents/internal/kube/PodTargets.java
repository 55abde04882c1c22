package io.kvevents.internal.kube;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What {@code tail MODEL|POD…} names: model Deployments (their pods found by the Deployment's selector)
 * or pods by name, and the ports their engines publish on, read from the engine container (vLLM or
 * SGLang, {@link Engine}) as the engine reads them ({@code --kv-events-config}, else the kv-events / kv-replay container ports, else
 * 5557 / 5558). A config without {@code replay_endpoint} means no replay: the default is none in vLLM
 * (vllm/config/kv_events.py, KVEventsConfig.replay_endpoint = None) and SGLang alike.
 */
public final class PodTargets {
    private static final int DEFAULT_PUB = 5557;
    private static final int DEFAULT_REPLAY = 5558;

    /**
     * A ready pod and its engine's ports.
     *
     * @param replayPort 0 when the engine has no replay endpoint (vLLM's default when its config names none)
     */
    public record Pod(String namespace, String name, int pubPort, int replayPort, int httpPort, int firstRank, int ranks) {

        /** A pod whose engine runs one data-parallel rank. */
        public Pod(String namespace, String name, int pubPort, int replayPort, int httpPort) {
            this(namespace, name, pubPort, replayPort, httpPort, 0, 1);
        }

        /** False when the engine keeps no replay buffer to ask. */
        public boolean replays() {
            return replayPort > 0;
        }

        /**
         * One publisher per data-parallel rank on this pod: rank r binds the configured ports + r (vLLM since
         * 0.9.1, {@code ZmqEventPublisher.offset_endpoint_port}) and counts its own seq. Rank 0 is named after
         * the pod, rank r {@code POD/dpR}.
         */
        public List<Rank> publishers() {
            List<Rank> out = new ArrayList<>();
            for (int i = 0; i < ranks; i++) {
                int r = firstRank + i;
                out.add(new Rank(r, r == 0 ? name : name + "/dp" + r, pubPort + r, replays() ? replayPort + r : 0));
            }
            return out;
        }
    }

    /** One data-parallel rank's publisher: its source name and ports (replay 0: none). */
    public record Rank(int rank, String source, int pubPort, int replayPort) {
    }

    private record Selected(String deployment, String selector, String servedModel) {
    }

    private final KubeApi api;
    private final String namespace;
    private final List<Selected> deployments = new ArrayList<>();
    private final List<String> podNames = new ArrayList<>();

    private PodTargets(KubeApi api, String namespace) {
        this.api = api;
        this.namespace = namespace;
    }

    /**
     * Resolves each name as a Deployment of the namespace, else as a pod.
     *
     * @throws IllegalArgumentException when a name is neither (the message says where it looked)
     */
    @SuppressWarnings("unchecked")
    public static PodTargets resolve(KubeApi api, List<String> names) {
        if (names.isEmpty()) {
            throw new IllegalArgumentException("name a model Deployment or pods");
        }
        String ns = api.defaultNamespace();
        PodTargets t = new PodTargets(api, ns);
        for (String name : names) {
            Map<String, Object> d = api.deployment(ns, name);
            if (d != null) {
                Object labels = JsonTree.at(d, "spec", "selector", "matchLabels");
                if (!(labels instanceof Map<?, ?> m) || m.isEmpty()) {
                    throw new IllegalArgumentException("deployment.apps/" + name + " has no spec.selector.matchLabels:"
                            + " name its pods instead");
                }
                String selector = LabelSelector.equalities(m);
                t.deployments.add(new Selected(name, selector, Workloads.servedModel(d)));
            } else if (api.pod(ns, name) != null) {
                t.podNames.add(name);
            } else {
                throw new IllegalArgumentException("no Deployment or pod named " + name + " in namespace " + ns
                        + " (give -n NAMESPACE or --context)");
            }
        }
        return t;
    }

    /** The ready pods now, each once, in the order the targets name them. */
    public List<Pod> ready() {
        Map<String, Pod> out = new LinkedHashMap<>();
        for (Selected s : deployments) {
            boolean ownOnly = !s.selector().contains(Workloads.TRACK + "=");
            for (Map<String, Object> pod : api.pods(namespace, s.selector())) {
                // a model's Deployment selects a rollout's canary pods too (they carry its labels): not its own
                if (isReady(pod) && !(ownOnly && Workloads.isTrackPod(pod))) {
                    String name = String.valueOf(JsonTree.at(pod, "metadata", "name"));
                    out.putIfAbsent(name, pod(name, JsonTree.at(pod, "spec")));
                }
            }
        }
        for (String name : podNames) {
            Map<String, Object> pod = api.pod(namespace, name);
            if (pod != null && isReady(pod)) {
                out.putIfAbsent(name, pod(name, JsonTree.at(pod, "spec")));
            }
        }
        return List.copyOf(out.values());
    }

    /**
     * The one model the targets serve, when they are Deployments that all serve it (pods named one by one
     * say nothing about their model).
     */
    public java.util.Optional<String> servedModel() {
        java.util.Set<String> models = deployments.stream().map(Selected::servedModel).collect(Collectors.toSet());
        return podNames.isEmpty() && models.size() == 1 ? java.util.Optional.of(models.iterator().next())
                : java.util.Optional.empty();
    }

    /** {@code deployment.apps/llama (app=llama)}, {@code pod/x}: what is followed, for messages. */
    public String describe() {
        List<String> parts = new ArrayList<>();
        deployments.forEach(s -> parts.add("deployment.apps/" + s.deployment() + " (" + s.selector() + ")"));
        podNames.forEach(p -> parts.add("pod/" + p));
        return String.join(", ", parts) + " in namespace " + namespace;
    }

    public String namespace() {
        return namespace;
    }

    /** Running, Ready, and not being deleted. */
    public static boolean isReady(Map<String, Object> pod) {
        if (JsonTree.at(pod, "metadata", "deletionTimestamp") != null
                || !"Running".equals(JsonTree.at(pod, "status", "phase"))) {
            return false;
        }
        if (JsonTree.at(pod, "status", "conditions") instanceof List<?> conditions) {
            for (Object c : conditions) {
                if (c instanceof Map<?, ?> m && "Ready".equals(m.get("type"))) {
                    return "True".equals(m.get("status"));
                }
            }
        }
        return false;
    }

    private Pod pod(String name, Object spec) {
        return engine(namespace, name, spec);
    }

    /** The engine of a pod spec (or a pod template's) and the ports it publishes and serves on. */
    @SuppressWarnings("unchecked")
    public static Pod engine(String namespace, String name, Object spec) {
        Map<String, Object> container = null;
        if (spec instanceof Map<?, ?> s && s.get("containers") instanceof List<?> containers) {
            for (Object c : containers) {
                if (c instanceof Map<?, ?> m && Workloads.isEngine((Map<String, Object>) m)) {
                    container = (Map<String, Object>) m;
                    break;
                }
            }
            if (container == null && containers.size() == 1) {
                container = (Map<String, Object>) containers.get(0);
            }
        }
        if (container == null) {
            return new Pod(namespace, name, DEFAULT_PUB, DEFAULT_REPLAY, Engine.VLLM.httpPort(List.of()));
        }
        List<String> words;
        try {
            words = EnablePlanner.engineArgv(container);
        } catch (IllegalArgumentException notOneCommand) {
            words = List.of();
        }
        int pub = portOf(container, "kv-events", DEFAULT_PUB);
        int replay = portOf(container, "kv-replay", DEFAULT_REPLAY);
        String config = Flags.value(words, "--kv-events-config");
        if (config != null) {
            try {
                JsonObject c = JsonParser.parseString(config).getAsJsonObject();
                pub = c.has("endpoint") ? endpointPort(c.get("endpoint").getAsString(), pub) : pub;
                replay = c.has("replay_endpoint") && !c.get("replay_endpoint").isJsonNull()
                        && !c.get("replay_endpoint").getAsString().isBlank()
                        ? endpointPort(c.get("replay_endpoint").getAsString(), replay) : 0;
            } catch (RuntimeException notJson) {
                // status reports a broken config; the ports stay as the container declares them
            }
        }
        Engine engine = Engine.of(container) == null ? Engine.VLLM : Engine.of(container);
        int http = Flags.value(words, "--port") != null ? engine.httpPort(words)
                : portOf(container, "http", engine.httpPort(words));
        int ranks = engine.dataParallelRanks(words);
        int first = engine.firstRank(words);
        var version = Compatibility.Version.ofImage(String.valueOf(container.get("image")));
        if (engine == Engine.VLLM && version.isPresent() && !Compatibility.offsetsDataParallelPorts(version.get())) {
            ranks = 1; // vLLM 0.9.0 bound every rank to the same ports: one of them can publish
        }
        return new Pod(namespace, name, pub, replay, http, first, Math.max(1, ranks));
    }

    private static int endpointPort(String endpoint, int fallback) {
        int colon = endpoint.lastIndexOf(':');
        try {
            return colon < 0 ? fallback : Integer.parseInt(endpoint.substring(colon + 1));
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static int portOf(Map<String, Object> container, String name, int fallback) {
        if (container.get("ports") instanceof List<?> ports) {
            for (Object p : ports) {
                if (p instanceof Map<?, ?> m && name.equals(m.get("name")) && m.get("containerPort") instanceof Number n) {
                    return n.intValue();
                }
            }
        }
        return fallback;
    }
}
