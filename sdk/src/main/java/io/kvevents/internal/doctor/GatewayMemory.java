package io.kvevents.internal.doctor;

import io.kubernetes.client.custom.Quantity;
import io.kvevents.internal.kube.JsonTree;
import io.kvevents.internal.kube.Workloads;
import io.kvevents.internal.metrics.Exposition;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What the AIBrix gateway's sync prefix index costs, from the blocks the engines hold. The figures follow the maps of
 * pkg/utils/syncprefixcacheindexer/sync_hash.go at AIBrix e3e10f9: every engine block of every pod gets an
 * {@code engineToAibrix} entry (int64 → uint64) and a {@code blockIndex} entry (int64 → a one-element
 * {@code []ModelContext}), neither capped; each distinct prefix a {@code prefixMap} entry holding a small map of
 * pods to {@code *PodInfo}, at most {@code AIBRIX_SYNC_MAX_PREFIXES_PER_CONTEXT} (default 10,000) per model. With
 * Go's swiss-table maps (8 slots a group, 7/8 full at most, half full after a doubling) that is about 110 bytes per
 * engine block and 300 per prefix: an estimate, said as one.
 */
public final class GatewayMemory {
    static final long BYTES_PER_ENGINE_BLOCK = 110;
    static final long BYTES_PER_PREFIX = 300;
    static final long DEFAULT_MAX_PREFIXES = 10_000;

    private GatewayMemory() {
    }

    /** The index's bytes for {@code blocks} engine blocks of one model, at most {@code maxPrefixes} of them prefixes. */
    public static long estimate(long blocks, long maxPrefixes) {
        return blocks * BYTES_PER_ENGINE_BLOCK + Math.min(blocks, maxPrefixes) * BYTES_PER_PREFIX;
    }

    /** The gateway's {@code AIBRIX_SYNC_MAX_PREFIXES_PER_CONTEXT}, else its default. */
    public static long maxPrefixes(Map<String, String> gatewayEnv) {
        try {
            return Long.parseLong(gatewayEnv.getOrDefault("AIBRIX_SYNC_MAX_PREFIXES_PER_CONTEXT", "").strip());
        } catch (NumberFormatException unset) {
            return DEFAULT_MAX_PREFIXES;
        }
    }

    /** The gateway plugin container's memory limit in bytes (a Kubernetes quantity: {@code 2Gi}, {@code 1500M}). */
    public static OptionalLong limit(Map<String, Object> gatewayDeployment) {
        Object limit = JsonTree.at(Workloads.gatewayContainer(gatewayDeployment), "resources", "limits", "memory");
        if (limit == null) {
            return OptionalLong.empty();
        }
        return OptionalLong.of(Quantity.fromString(String.valueOf(limit)).getNumber().longValue());
    }

    /**
     * The KV blocks an engine's {@code /metrics} says it has: vLLM's {@code vllm:cache_config_info} gauge carries
     * CacheConfig as labels, {@code num_gpu_blocks} among them. A data-parallel process writes one series per engine
     * (vllm/v1/metrics/loggers.py log_metrics_info at 5ac26849), each with the same CacheConfig, whose
     * {@code num_gpu_blocks} is already the sum over its engines (vllm/v1/engine/core_client.py
     * {@code _apply_ready_response}: "Sum num_gpu_blocks from all engines in DP case"): the largest series is the
     * pod's, where adding them up counted each block once per engine.
     */
    public static OptionalLong engineBlocks(List<Exposition.Sample> samples) {
        long blocks = -1;
        for (Exposition.Sample s : Exposition.named(samples, "vllm:cache_config_info")) {
            try {
                blocks = Math.max(blocks, Long.parseLong(s.label("num_gpu_blocks")));
            } catch (NumberFormatException | NullPointerException notYet) {
                // "None" before the engine profiled its memory
            }
        }
        return blocks >= 0 ? OptionalLong.of(blocks) : OptionalLong.empty();
    }

    /** {@code 1.5 GiB}, {@code 640 MiB}. */
    public static String bytes(long n) {
        if (n >= 1L << 30) {
            return String.format(java.util.Locale.ROOT, "%.1f GiB", n / (double) (1L << 30));
        }
        return String.format(java.util.Locale.ROOT, "%d MiB", Math.max(1, Math.round(n / (double) (1L << 20))));
    }
}
