package io.kvevents.sdk;

import io.kvevents.internal.kube.ContainerEnv;
import io.kvevents.internal.kube.GoEnv;
import io.kvevents.internal.kube.JsonTree;
import io.kvevents.internal.kube.Workloads;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The AIBrix gateway's prefix-cache settings as its plugin container's env carries them. Each setting is
 * read under the name the gateway reads ({@code AIBRIX_PREFIX_CACHE_…}, AIBrix e3e10f9
 * pkg/constants/kv_event_sync.go), else the gateway's default; the migration guide's spellings are shown
 * but count for nothing, since no AIBrix reads them. {@link #problems()} says what keeps sync from working.
 *
 * <p>Values are read as the gateway, a Go program, reads them: an empty one is unset, and a boolean is what Go's
 * {@code strconv.ParseBool} takes ({@code 1}, {@code t}, {@code TRUE}, {@code True}, …; {@code tRuE} or {@code yes}
 * is not one, and leaves the default).
 *
 * @param kvEventSync {@code AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED} (default false)
 * @param remoteTokenizer {@code AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER} (default false)
 * @param tokenizerEndpoint {@code AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT} (default none: null)
 * @param tokenizerType {@code AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE} (default {@code character})
 * @param tokenizerEngine the guide's {@code AIBRIX_REMOTE_TOKENIZER_ENGINE} (default none: null)
 * @param blockSize {@code AIBRIX_PREFIX_CACHE_BLOCK_SIZE}, or null when unset (the gateway's default)
 * @param env every {@code AIBRIX_*} variable as the plugin sees it (the guide's spellings too, which no AIBrix reads)
 */
public record GatewayConfig(String namespace, String deployment, boolean kvEventSync, boolean remoteTokenizer,
        String tokenizerEndpoint, String tokenizerType, String tokenizerEngine, Integer blockSize, Map<String, String> env) {

    /** The gateway's names and the migration guide's, for the settings both spell. */
    private static final Map<String, String> SEED_SPELLINGS = new LinkedHashMap<>();

    static {
        SEED_SPELLINGS.put("AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED", "AIBRIX_KV_EVENT_SYNC_ENABLED");
        SEED_SPELLINGS.put("AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER", "AIBRIX_USE_REMOTE_TOKENIZER");
        SEED_SPELLINGS.put("AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT", "AIBRIX_REMOTE_TOKENIZER_ENDPOINT");
    }

    public GatewayConfig {
        env = Map.copyOf(env);
    }

    /** Reads the gateway plugin container's env (plain values only: see {@link #of(Map, List)}). */
    public static GatewayConfig of(Map<String, Object> gatewayDeployment) {
        return of(gatewayDeployment, List.of());
    }

    /**
     * Reads the gateway plugin container's env as its process sees it: {@code envFrom} and {@code valueFrom}
     * resolved through the ConfigMaps and Secrets among {@code objects}; one that cannot be read shows as
     * {@code (valueFrom)}.
     */
    public static GatewayConfig of(Map<String, Object> gatewayDeployment, List<Map<String, Object>> objects) {
        Map<String, String> env = new LinkedHashMap<>();
        if (!JsonTree.containers(gatewayDeployment).isEmpty()) {
            Map<String, Object> container = Workloads.gatewayContainer(gatewayDeployment);
            String ns = JsonTree.namespace(gatewayDeployment);
            ContainerEnv.of(container, ns == null ? "" : ns, objects).forEach((name, setting) -> {
                if (name.startsWith("AIBRIX_")) {
                    env.put(name, setting.value() == null ? "(valueFrom)" : setting.value());
                }
            });
        }
        String blockSize = setting(env, "AIBRIX_PREFIX_CACHE_BLOCK_SIZE");
        Integer block = null;
        if (blockSize != null && blockSize.matches("\\d{1,9}")) {
            block = Integer.parseInt(blockSize);
        }
        return new GatewayConfig((String) JsonTree.at(gatewayDeployment, "metadata", "namespace"),
                String.valueOf(JsonTree.at(gatewayDeployment, "metadata", "name")),
                GoEnv.bool(setting(env, "AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED"), false),
                GoEnv.bool(setting(env, "AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER"), false),
                GoEnv.string(setting(env, "AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT"), null),
                GoEnv.string(setting(env, "AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE"), "character"),
                env.get("AIBRIX_REMOTE_TOKENIZER_ENGINE"), block, env);
    }

    /**
     * The gateway Deployment {@code options} names (namespace and name) among manifests.
     *
     * @throws IllegalArgumentException when it is not among them
     */
    public static GatewayConfig find(List<Map<String, Object>> manifests, EnableOptions options) {
        return among(manifests, options).orElseThrow(() -> new IllegalArgumentException("no gateway Deployment "
                + options.gatewayNamespace() + "/" + options.gatewayDeployment() + " in the manifests"
                + " (--gateway-namespace, --gateway-deployment)"));
    }

    /** The gateway Deployment {@code options} names, if it is among the manifests. */
    public static Optional<GatewayConfig> among(List<Map<String, Object>> manifests, EnableOptions options) {
        for (Map<String, Object> o : manifests) {
            Object ns = JsonTree.at(o, "metadata", "namespace");
            if ("Deployment".equals(o.get("kind")) && options.gatewayDeployment().equals(JsonTree.at(o, "metadata", "name"))
                    && (ns == null || options.gatewayNamespace().equals(ns))) {
                return Optional.of(of(o, manifests));
            }
        }
        return Optional.empty();
    }

    /**
     * What keeps KV event sync from working, as the gateway would treat these settings (it turns sync off
     * at start when the remote tokenizer is off).
     */
    public List<String> problems() {
        List<String> out = new ArrayList<>();
        // the checks AIBrix makes before it turns sync on (e3e10f9 pkg/cache/kv_event_manager_zmq.go,
        // validateKVEventConfiguration): a failed one leaves sync off
        if (kvEventSync && !remoteTokenizer) {
            out.add("the gateway syncs KV events but its remote tokenizer is off");
        }
        if (kvEventSync && (tokenizerEndpoint == null || tokenizerEndpoint.isBlank())) {
            out.add("the gateway syncs KV events but has no remote tokenizer endpoint");
        }
        // compared as written: the gateway takes "Remote" for another type (validateKVEventConfiguration)
        if ((kvEventSync || remoteTokenizer) && !tokenizerType.equals("remote")) {
            out.add("the gateway's AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE is " + tokenizerType + ", not remote: KV event sync"
                    + " stays off");
        }
        SEED_SPELLINGS.forEach((current, seed) -> {
            if (env.containsKey(seed) && !env.containsKey(current)) {
                out.add("the gateway sets " + seed + ", which AIBrix does not read: set " + current);
            }
        });
        return List.copyOf(out);
    }

    /** A setting as the gateway reads it: under its own name only (the guide's names are read by no AIBrix). */
    private static String setting(Map<String, String> env, String name) {
        return env.get(name);
    }

    @Override
    public String toString() {
        return "GatewayConfig[" + namespace + "/" + deployment + " kvEventSync=" + kvEventSync + " remoteTokenizer="
                + remoteTokenizer + " endpoint=" + tokenizerEndpoint + " type=" + tokenizerType
                + (blockSize == null ? "" : " blockSize=" + blockSize) + (problems().isEmpty() ? "" : " problems=" + problems()) + "]";
    }
}
