package io.kvevents.internal.kube;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.GatewayConfig;
import io.kvevents.sdk.ModelStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** Reads a model's KV-event state off its manifests (docs/cli.md {@code status}). */
public final class StatusCheck {
    /** The gateway's prefix-cache block size, in bytes of 4-byte tokens. */
    private static final String BLOCK_SIZE = "AIBRIX_PREFIX_CACHE_BLOCK_SIZE";

    private StatusCheck() {
    }

    public static List<ModelStatus> check(List<Map<String, Object>> manifests, String model, EnableOptions o) {
        return check(manifests, model, o, "the manifests", false);
    }

    /**
     * @param where how to name the objects' origin in messages ("the manifests", "namespace default")
     * @param gatewayExpected true on a cluster, where a gateway that is not there is something missing
     */
    public static List<ModelStatus> check(List<Map<String, Object>> manifests, String model, EnableOptions o,
            String where, boolean gatewayExpected) {
        return examine(manifests, model, o, where, gatewayExpected).stream().map(Examined::status).toList();
    }

    /**
     * A model's status and the topic of each of its problems ({@code flags}, {@code compatibility},
     * {@code block-size}, {@code gateway-settings}), for {@code doctor}.
     */
    public record Examined(ModelStatus status, Map<String, String> topicOfProblem) {
        /** The problems of one topic. */
        public List<String> problems(String topic) {
            return status.problems().stream().filter(p -> topic.equals(topicOfProblem.get(p))).toList();
        }
    }

    /** See {@link #check(List, String, EnableOptions, String, boolean)}. */
    public static List<Examined> examine(List<Map<String, Object>> manifests, String model, EnableOptions o,
            String where, boolean gatewayExpected) {
        GatewayConfig gateway = gateway(manifests, o);
        Map<String, Object> gatewayObject = Workloads.find(manifests, "Deployment", o.gatewayNamespace(), o.gatewayDeployment());
        String gatewayImage = gatewayObject == null || JsonTree.containers(gatewayObject).isEmpty() ? null
                : String.valueOf(Workloads.gatewayContainer(gatewayObject).get("image"));
        List<Examined> out = new ArrayList<>();
        for (Map<String, Object> d : manifests) {
            if (!"Deployment".equals(d.get("kind"))) {
                continue;
            }
            String name = String.valueOf(JsonTree.at(d, "metadata", "name"));
            boolean named = model == null ? Workloads.findEngineContainer(d) != null
                    : model.equals(name) || Workloads.aibrixModelName(d).filter(model::equals).isPresent();
            if (named) {
                out.add(status(d, name, gateway, gatewayImage, gatewayExpected ? o : null));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(model == null ? "no vLLM or SGLang Deployment in " + where
                    : "no Deployment named " + model + " in " + where);
        }
        return out;
    }

    /** @param expected the gateway's options when its absence is something missing, else null */
    private static Examined status(Map<String, Object> d, String name, GatewayConfig gateway, String gatewayImage,
            EnableOptions expected) {
        List<String> missing = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Map<String, String> topics = new java.util.LinkedHashMap<>();
        Map<String, Object> c = Workloads.findEngineContainer(d);
        Engine engine = c == null ? Engine.VLLM : Engine.of(c);
        List<Object> args = new ArrayList<>();
        if (c != null) {
            args.addAll(vllmWords(c, problems));
            problems.forEach(p -> topics.put(p, "flags"));
        }
        boolean flag = kvEventsEnabled(args, engine);
        if (c != null && flag && engine == Engine.VLLM) {
            for (String p : compatibility(String.valueOf(c.get("image")), gatewayImage, args)) {
                problems.add(p);
                topics.put(p, p.contains("not a JSON object") ? "flags" : "compatibility");
            }
        }
        if (!flag) {
            missing.add("--kv-events-config flag");
        }
        if (args.stream().anyMatch(a -> String.valueOf(a).startsWith("--enable-kv-cache-events")
                || String.valueOf(a).startsWith("--kv-events-publisher") || String.valueOf(a).startsWith("--kv-events-endpoint"))) {
            String seed = "seed-style flags (--enable-kv-cache-events, --kv-events-…) make vLLM exit with"
                    + " \"unrecognized arguments\": run enable to replace them";
            problems.add(seed);
            topics.put(seed, "flags");
        }
        boolean ports = c != null && hasPort(c.get("ports"), "kv-events") && hasPort(c.get("ports"), "kv-replay");
        if (!ports) {
            missing.add("kv-events/kv-replay ports");
        }
        boolean podLabel = "true".equals(JsonTree.at(d, "spec", "template", "metadata", "labels", Workloads.ENABLED));
        if (!podLabel) {
            missing.add("pod-template label (the gateway watches pods)");
        }
        if (!"true".equals(JsonTree.at(d, "metadata", "labels", Workloads.ENABLED))) {
            missing.add("deployment label");
        }
        if (gateway == null && expected != null) {
            missing.add("the gateway (deployment.apps/" + expected.gatewayDeployment() + " is not in namespace "
                    + expected.gatewayNamespace() + ")");
        }
        boolean gatewaySync = gateway != null && gateway.kvEventSync();
        if (gateway != null && !gatewaySync) {
            missing.add("gateway sync");
        }
        if (gateway != null) {
            for (String p : gateway.problems()) {
                problems.add(p);
                topics.put(p, "gateway-settings");
            }
        }
        ModelStatus.State state = flag && ports && podLabel ? (missing.isEmpty() ? ModelStatus.State.ENABLED : ModelStatus.State.PARTIAL)
                : !flag && !ports && !podLabel ? ModelStatus.State.OFF : ModelStatus.State.PARTIAL;
        int tokens = engine.blockSize(strings(args));
        if (gateway != null && gateway.blockSize() != null && gateway.blockSize() != 4 * tokens) {
            String p = "the gateway's " + BLOCK_SIZE + "=" + gateway.blockSize() + " does not line up with the pods'"
                    + " blocks of " + tokens + " tokens: the AIBrix sync indexer counts it in bytes of 4-byte tokens, set "
                    + 4 * tokens;
            problems.add(p);
            topics.put(p, "block-size");
        }
        Map<String, String> shown = new TreeMap<>();
        if (gateway != null) {
            gateway.env().forEach((n, v) -> {
                if (n.contains("KV_EVENT") || n.contains("TOKENIZER") || n.equals(BLOCK_SIZE)) {
                    shown.put(n, v);
                }
            });
        }
        return new Examined(new ModelStatus(name, (String) JsonTree.at(d, "metadata", "namespace"), state, pods(d), missing,
                problems, shown), topics);
    }

    /**
     * The words vLLM's parser sees: a shell script's own (a flag after the script never reaches vLLM, and is
     * reported), else command and args.
     */
    private static List<Object> vllmWords(Map<String, Object> c, List<String> problems) {
        var script = ShellScript.locate(c);
        if (script.isPresent()) {
            List<Object> after = new ArrayList<>();
            boolean past = false;
            for (String field : List.of("command", "args")) {
                List<Object> list = words(c.get(field));
                for (int i = 0; i < list.size(); i++) {
                    if (past) {
                        after.add(list.get(i));
                    }
                    past |= field.equals(script.get().field()) && i == script.get().index();
                }
            }
            if (after.stream().anyMatch(w -> String.valueOf(w).startsWith("--kv-events") || String.valueOf(w).startsWith("--enable-kv"))) {
                problems.add("KV event flags stand outside the shell script (" + c.get("name") + "): vLLM never sees them;"
                        + " run enable to put them inside");
            }
        }
        try {
            return new ArrayList<>(EnablePlanner.engineArgv(c));
        } catch (IllegalArgumentException notOneCommand) {
            return new ArrayList<>(List.of(ShellScript.text(c, script.orElseThrow()).split("\\s+")));
        }
    }

    /** What the engine's and the gateway's versions say about this config (docs/compatibility.md). */
    private static List<String> compatibility(String image, String gatewayImage, List<Object> args) {
        List<String> out = new ArrayList<>();
        if (gatewayImage != null) {
            Compatibility.eventFormatMismatch(image, gatewayImage).ifPresent(out::add);
        }
        var version = Compatibility.Version.ofImage(image);
        String json = Flags.value(strings(args), "--kv-events-config");
        if (version.isPresent() && Compatibility.needsExplicitPublisher(version.get()) && json != null) {
            try {
                JsonObject config = JsonParser.parseString(json).getAsJsonObject();
                if (!config.has("publisher") || config.get("publisher").isJsonNull()) {
                    out.add("vLLM " + version.get() + "'s --kv-events-config names no publisher, and before vLLM 0.11.1 it"
                            + " defaults to none: add \"publisher\":\"zmq\" (enable does)");
                }
            } catch (RuntimeException notJson) {
                out.add("--kv-events-config is not a JSON object: vLLM exits on it");
            }
        }
        return out;
    }

    /** {@code ready/replicas} from the Deployment's status; {@code -} when it has none (manifests). */
    private static String pods(Map<String, Object> d) {
        if (!(d.get("status") instanceof Map<?, ?>)) {
            return "-";
        }
        Object ready = JsonTree.at(d, "status", "readyReplicas");
        Object replicas = JsonTree.at(d, "spec", "replicas");
        return (ready instanceof Number r ? r.longValue() : 0) + "/" + (replicas instanceof Number n ? n.longValue() : 1);
    }

    private static boolean kvEventsEnabled(List<Object> args, Engine engine) {
        String json = Flags.value(strings(args), "--kv-events-config");
        if (json == null) {
            return false;
        }
        try {
            return engine.publishes(JsonParser.parseString(json).getAsJsonObject());
        } catch (RuntimeException notJson) {
            return false;
        }
    }

    private static List<String> strings(List<Object> words) {
        return words.stream().map(String::valueOf).toList();
    }

    /** The gateway's settings, or null when it is not among the manifests (--local -f of a model alone). */
    private static GatewayConfig gateway(List<Map<String, Object>> manifests, EnableOptions o) {
        return GatewayConfig.among(manifests, o).orElse(null);
    }

    @SuppressWarnings("unchecked")
    private static List<Object> words(Object list) {
        return list instanceof List<?> l ? (List<Object>) l : List.of();
    }

    private static boolean hasPort(Object ports, String name) {
        return ports instanceof List<?> l && l.stream().anyMatch(p -> p instanceof Map<?, ?> m && Objects.equals(name, m.get("name")));
    }
}
