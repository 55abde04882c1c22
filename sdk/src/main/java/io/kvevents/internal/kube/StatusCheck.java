package io.kvevents.internal.kube;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.ModelStatus;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/** Reads a model's KV-event state off its manifests (SPEC §6 {@code status}). */
public final class StatusCheck {
    /** The gateway settings, each under AIBrix's current name and the migration guide's. */
    private static final Map<String, String> SPELLINGS = new LinkedHashMap<>();

    static {
        SPELLINGS.put("AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED", "AIBRIX_KV_EVENT_SYNC_ENABLED");
        SPELLINGS.put("AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER", "AIBRIX_USE_REMOTE_TOKENIZER");
        SPELLINGS.put("AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT", "AIBRIX_REMOTE_TOKENIZER_ENDPOINT");
    }

    /** The gateway's prefix-cache block size, in bytes of 4-byte tokens. */
    private static final String BLOCK_SIZE = "AIBRIX_PREFIX_CACHE_BLOCK_SIZE";

    private StatusCheck() {
    }

    public static List<ModelStatus> check(List<Map<String, Object>> manifests, String model, EnableOptions o) {
        return check(manifests, model, o, "the manifests");
    }

    /** @param where how to name the objects' origin in messages ("the manifests", "namespace default") */
    public static List<ModelStatus> check(List<Map<String, Object>> manifests, String model, EnableOptions o,
            String where) {
        Map<String, String> gatewayEnv = gatewayEnv(manifests, o);
        List<ModelStatus> out = new ArrayList<>();
        for (Map<String, Object> d : manifests) {
            if (!"Deployment".equals(d.get("kind"))) {
                continue;
            }
            String name = String.valueOf(OfflinePlanner.at(d, "metadata", "name"));
            boolean named = model == null ? vllmContainer(d) != null
                    : model.equals(name) || model.equals(OfflinePlanner.at(d, "metadata", "labels", OfflinePlanner.MODEL));
            if (named) {
                out.add(status(d, name, manifests, gatewayEnv, o));
            }
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException(model == null ? "no vLLM Deployment in " + where
                    : "no Deployment named " + model + " in " + where);
        }
        return out;
    }

    private static ModelStatus status(Map<String, Object> d, String name, List<Map<String, Object>> manifests,
            Map<String, String> gatewayEnv, EnableOptions o) {
        List<String> missing = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        Map<String, Object> c = vllmContainer(d);
        List<Object> args = new ArrayList<>();
        if (c != null) {
            args.addAll(words(c.get("command")));
            args.addAll(words(c.get("args")));
        }
        boolean flag = kvEventsEnabled(args);
        if (!flag) {
            missing.add("--kv-events-config flag");
        }
        if (args.stream().anyMatch(a -> String.valueOf(a).startsWith("--enable-kv-cache-events")
                || String.valueOf(a).startsWith("--kv-events-publisher") || String.valueOf(a).startsWith("--kv-events-endpoint"))) {
            problems.add("seed-style flags (--enable-kv-cache-events, --kv-events-…) make vLLM exit with"
                    + " \"unrecognized arguments\": run enable to replace them");
        }
        boolean ports = c != null && hasPort(c.get("ports"), "kv-events") && hasPort(c.get("ports"), "kv-replay");
        if (!ports) {
            missing.add("kv-events/kv-replay ports");
        }
        boolean podLabel = "true".equals(OfflinePlanner.at(d, "spec", "template", "metadata", "labels", OfflinePlanner.ENABLED));
        if (!podLabel) {
            missing.add("pod-template label (the gateway watches pods)");
        }
        if (!"true".equals(OfflinePlanner.at(d, "metadata", "labels", OfflinePlanner.ENABLED))) {
            missing.add("deployment label");
        }
        boolean gatewaySync = gatewayEnv != null && isTrue(gatewayEnv, "AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED");
        if (gatewayEnv != null && !gatewaySync) {
            missing.add("gateway sync");
        }
        if (gatewaySync && !isTrue(gatewayEnv, "AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER")) {
            problems.add("the gateway syncs KV events but its remote tokenizer is off");
        }
        if (gatewaySync && gatewayEnv.get("AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT") == null) {
            problems.add("the gateway has no remote tokenizer endpoint");
        }
        Map<String, String> env = gatewayEnv == null ? Map.of() : gatewayEnv;
        SPELLINGS.forEach((current, seed) -> {
            String a = env.get(current);
            String b = env.get(seed);
            if ((a == null) != (b == null)) {
                problems.add("the gateway sets only " + (a == null ? seed : current) + "; set " + (a == null ? current : seed) + " too");
            } else if (a != null && !a.equals(b)) {
                problems.add("the gateway's " + current + "=" + a + " and " + seed + "=" + b + " disagree");
            }
        });
        ModelStatus.State state = flag && ports && podLabel ? (missing.isEmpty() ? ModelStatus.State.ENABLED : ModelStatus.State.PARTIAL)
                : !flag && !ports && !podLabel ? ModelStatus.State.OFF : ModelStatus.State.PARTIAL;
        String blockSize = env.get(BLOCK_SIZE);
        int tokens = vllmBlockSize(args);
        if (blockSize != null && blockSize.matches("\\d+") && !blockSize.equals(String.valueOf(4 * tokens))) {
            problems.add("the gateway's " + BLOCK_SIZE + "=" + blockSize + " does not line up with the pods' blocks of "
                    + tokens + " tokens: the AIBrix sync indexer counts it in bytes of 4-byte tokens, set " + 4 * tokens);
        }
        return new ModelStatus(name, (String) OfflinePlanner.at(d, "metadata", "namespace"), state, pods(d), missing,
                problems, new TreeMap<>(env));
    }

    /** {@code ready/replicas} from the Deployment's status; {@code -} when it has none (manifests). */
    private static String pods(Map<String, Object> d) {
        if (!(d.get("status") instanceof Map<?, ?>)) {
            return "-";
        }
        Object ready = OfflinePlanner.at(d, "status", "readyReplicas");
        Object replicas = OfflinePlanner.at(d, "spec", "replicas");
        return (ready instanceof Number r ? r.longValue() : 0) + "/" + (replicas instanceof Number n ? n.longValue() : 1);
    }

    /** vLLM's {@code --block-size}, 16 when not given (its default on GPUs). */
    private static int vllmBlockSize(List<Object> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = String.valueOf(args.get(i));
            String v = a.startsWith("--block-size=") ? a.substring(a.indexOf('=') + 1)
                    : a.equals("--block-size") && i + 1 < args.size() ? String.valueOf(args.get(i + 1)) : null;
            if (v != null && v.matches("\\d{1,4}")) {
                return Integer.parseInt(v);
            }
        }
        return 16;
    }

    private static boolean kvEventsEnabled(List<Object> args) {
        for (int i = 0; i < args.size(); i++) {
            String a = String.valueOf(args.get(i));
            String json = a.startsWith("--kv-events-config=") ? a.substring(a.indexOf('=') + 1)
                    : a.equals("--kv-events-config") && i + 1 < args.size() ? String.valueOf(args.get(i + 1)) : null;
            if (json != null) {
                try {
                    JsonObject c = JsonParser.parseString(json).getAsJsonObject();
                    return c.has("enable_kv_cache_events") && c.get("enable_kv_cache_events").getAsBoolean();
                } catch (RuntimeException notJson) {
                    return false;
                }
            }
        }
        return false;
    }

    /** The gateway's AIBRIX_* env, or null when the gateway is not among the manifests. */
    private static Map<String, String> gatewayEnv(List<Map<String, Object>> manifests, EnableOptions o) {
        for (Map<String, Object> d : manifests) {
            Object ns = OfflinePlanner.at(d, "metadata", "namespace");
            if ("Deployment".equals(d.get("kind")) && o.gatewayDeployment().equals(OfflinePlanner.at(d, "metadata", "name"))
                    && (ns == null || o.gatewayNamespace().equals(ns))) {
                Map<String, String> env = new LinkedHashMap<>();
                if (OfflinePlanner.at(d, "spec", "template", "spec", "containers") instanceof List<?> cs && !cs.isEmpty()) {
                    for (Object v : words(((Map<?, ?>) cs.get(0)).get("env"))) {
                        Map<?, ?> e = (Map<?, ?>) v;
                        String n = String.valueOf(e.get("name"));
                        if (n.startsWith("AIBRIX_") && (n.contains("KV_EVENT") || n.contains("TOKENIZER")
                                || n.equals(BLOCK_SIZE))) {
                            env.put(n, e.get("value") == null ? "(valueFrom)" : String.valueOf(e.get("value")));
                        }
                    }
                }
                return env;
            }
        }
        return null;
    }

    private static boolean isTrue(Map<String, String> env, String current) {
        String v = env.getOrDefault(current, env.get(SPELLINGS.getOrDefault(current, current)));
        return v != null && v.toLowerCase(Locale.ROOT).equals("true");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> vllmContainer(Map<String, Object> d) {
        if (!(OfflinePlanner.at(d, "spec", "template", "spec", "containers") instanceof List<?> cs)) {
            return null;
        }
        for (Object o : cs) {
            Map<String, Object> c = (Map<String, Object>) o;
            if (isVllm(c)) {
                return c;
            }
        }
        return null;
    }

    /** A container whose image or command names vLLM. */
    public static boolean isVllm(Map<String, Object> c) {
        List<Object> words = new ArrayList<>(words(c.get("command")));
        words.addAll(words(c.get("args")));
        return String.valueOf(c.get("image")).toLowerCase(Locale.ROOT).contains("vllm")
                || words.stream().anyMatch(w -> String.valueOf(w).contains("vllm"));
    }

    @SuppressWarnings("unchecked")
    private static List<Object> words(Object list) {
        return list instanceof List<?> l ? (List<Object>) l : List.of();
    }

    private static boolean hasPort(Object ports, String name) {
        return ports instanceof List<?> l && l.stream().anyMatch(p -> p instanceof Map<?, ?> m && Objects.equals(name, m.get("name")));
    }
}
