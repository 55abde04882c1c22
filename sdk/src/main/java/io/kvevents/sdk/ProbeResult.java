package io.kvevents.sdk;

import java.util.List;

/**
 * Where a prompt is cached: every pod of the model with its match, and the best pod(s) (empty when
 * no pod holds even the first block).
 *
 * @param fullBlocks prompt tokens / block size, rounded down: only full blocks are cached
 */
public record ProbeResult(String model, String lora, int promptTokens, int blockSize, int fullBlocks,
        List<PodMatch> pods, List<String> best) {

    public ProbeResult {
        pods = List.copyOf(pods);
        best = List.copyOf(best);
    }

    /** The match of one pod. */
    public PodMatch pod(String name) {
        return pods.stream().filter(p -> p.pod().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no pod " + name + " in this result; pods: "
                        + pods.stream().map(PodMatch::pod).toList()));
    }

    @Override
    public String toString() {
        return "ProbeResult[" + promptTokens + " tokens, " + fullBlocks + " blocks of " + blockSize + ", best="
                + best + ", " + pods + "]";
    }
}
