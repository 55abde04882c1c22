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

    /**
     * The result per pod: the data-parallel ranks of a pod ({@code POD/dpR}, each a publisher with its own
     * cache) folded into one row, the best rank's match, as the gateway routes to the pod.
     */
    public ProbeResult perPod() {
        java.util.Map<String, PodMatch> best = new java.util.LinkedHashMap<>();
        for (PodMatch m : pods) {
            int at = m.pod().lastIndexOf("/dp");
            String pod = at > 0 && m.pod().substring(at + 3).matches("\\d+") ? m.pod().substring(0, at) : m.pod();
            best.merge(pod, new PodMatch(pod, m.matchedBlocks(), m.matchedTokens(), m.hitRatio(), m.gpuMatchedBlocks()),
                    (a, b) -> b.matchedBlocks() > a.matchedBlocks()
                            || (b.matchedBlocks() == a.matchedBlocks() && b.gpuMatchedBlocks() > a.gpuMatchedBlocks()) ? b : a);
        }
        int top = best.values().stream().mapToInt(PodMatch::matchedBlocks).max().orElse(0);
        List<String> bestPods = best.values().stream().filter(m -> top > 0 && m.matchedBlocks() == top).map(PodMatch::pod).toList();
        return new ProbeResult(model, lora, promptTokens, blockSize, fullBlocks, List.copyOf(best.values()), bestPods);
    }

    @Override
    public String toString() {
        return "ProbeResult[" + promptTokens + " tokens, " + fullBlocks + " blocks of " + blockSize + ", best="
                + best + ", " + pods + "]";
    }
}
