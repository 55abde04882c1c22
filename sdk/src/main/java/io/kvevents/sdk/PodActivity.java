package io.kvevents.sdk;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one pod's engine showed through port-forward during a short look ({@code status --probe},
 * {@code enable}'s verification): the batches it sent, the age of its last event, whether its replay
 * endpoint answered, the block size its events carry, and what kept it from being read.
 *
 * @param lastEventAge now minus the engine timestamp of its last batch; null when it sent none
 * @param delay its event lag: the arrival of its last live batch minus that batch's engine timestamp; null when no
 *     batch came live
 * @param blockSize tokens per block of its last BlockStored; null when it stored nothing meanwhile
 * @param problem why it could not be read (a refused port-forward, …); null when nothing went wrong
 */
public record PodActivity(String pod, long batches, Duration lastEventAge, Duration delay, boolean replayAnswered,
        Integer blockSize, String problem) {

    /** The pod this activity belongs to: a data-parallel rank's source {@code POD/dpR} belongs to POD. */
    public String podName() {
        int slash = pod.indexOf("/dp");
        return slash < 0 ? pod : pod.substring(0, slash);
    }

    /**
     * One row per pod from one per data-parallel rank: batches summed, the freshest last event, the worst delay, replay
     * answered when every rank's did, the first block size seen, every rank's problem.
     */
    public static List<PodActivity> perPod(List<PodActivity> perRank) {
        Map<String, List<PodActivity>> byPod = new LinkedHashMap<>();
        for (PodActivity a : perRank) {
            byPod.computeIfAbsent(a.podName(), k -> new ArrayList<>()).add(a);
        }
        List<PodActivity> out = new ArrayList<>();
        for (Map.Entry<String, List<PodActivity>> e : byPod.entrySet()) {
            List<PodActivity> ranks = e.getValue();
            if (ranks.size() == 1) {
                out.add(ranks.get(0));
                continue;
            }
            long batches = 0;
            Duration freshest = null;
            Duration worstDelay = null;
            boolean replay = true;
            Integer blockSize = null;
            List<String> problems = new ArrayList<>();
            for (PodActivity a : ranks) {
                batches += a.batches;
                if (a.lastEventAge != null && (freshest == null || a.lastEventAge.compareTo(freshest) < 0)) {
                    freshest = a.lastEventAge;
                }
                if (a.delay != null && (worstDelay == null || a.delay.compareTo(worstDelay) > 0)) {
                    worstDelay = a.delay;
                }
                replay &= a.replayAnswered;
                blockSize = blockSize != null ? blockSize : a.blockSize;
                if (a.problem != null) {
                    problems.add(a.pod + ": " + a.problem);
                }
            }
            out.add(new PodActivity(e.getKey(), batches, freshest, worstDelay, replay, blockSize,
                    problems.isEmpty() ? null : String.join("; ", problems)));
        }
        return out;
    }

    /** True when the engine is publishing: a batch arrived or its replay endpoint answered. */
    public boolean publishes() {
        return batches > 0 || replayAnswered;
    }

    /** {@code 4s ago}, {@code none yet (replay answered)}, {@code unreachable}. */
    public String lastEventText() {
        if (lastEventAge != null) {
            long s = lastEventAge.toSeconds();
            return (s < 120 ? s + "s" : s < 7200 ? s / 60 + "m" : s < 172_800 ? s / 3600 + "h" : s / 86_400 + "d") + " ago";
        }
        return replayAnswered ? "none yet (replay answered)" : "unreachable";
    }

    @Override
    public String toString() {
        return "PodActivity[" + pod + " batches=" + batches + " last=" + lastEventText()
                + (blockSize == null ? "" : " blockSize=" + blockSize) + (problem == null ? "" : " problem=" + problem) + "]";
    }
}
