package io.kvevents.internal.sim;

import io.kvevents.sdk.PodMatch;
import io.kvevents.sdk.ProbeResult;
import io.kvevents.sdk.Simulation.Policy;
import java.util.List;
import java.util.Random;
import java.util.function.Function;

/** Picks the pod for each request, by policy. */
public final class Router {
    private final Policy policy;
    private final List<String> pods;
    private final long[] routed;
    private final Random random;
    private final Function<int[], ProbeResult> probe;
    private long total;
    private int next;

    /** @param probe the prefix index the PREFIX policy consults (fed with every pod's events) */
    public Router(Policy policy, List<String> pods, long seed, Function<int[], ProbeResult> probe) {
        this.policy = policy;
        this.pods = List.copyOf(pods);
        this.routed = new long[pods.size()];
        this.random = new Random(seed);
        this.probe = probe;
    }

    public int pick(int[] prompt) {
        int pod = switch (policy) {
            case ROUND_ROBIN -> next++ % pods.size();
            case RANDOM -> random.nextInt(pods.size());
            case PREFIX -> byPrefix(prompt);
        };
        routed[pod]++;
        total++;
        return pod;
    }

    /**
     * The pod holding the longest prefix, ties to the least routed; a pod already carrying more than
     * 1.25 times its share gets no more until the others catch up (prefix affinity alone sends a hot
     * prefix's whole traffic to one pod and thrashes its cache, or starves pods that hold nothing yet).
     */
    private int byPrefix(int[] prompt) {
        double cap = 1.25 * (total + 1) / pods.size() + 1;
        int best = -1;
        long bestScore = -1;
        ProbeResult r;
        try {
            r = probe.apply(prompt);
        } catch (IllegalStateException | IllegalArgumentException empty) {
            r = null; // nothing indexed yet
        }
        for (int i = 0; i < pods.size(); i++) {
            if (routed[i] > cap) {
                continue;
            }
            int matched = 0;
            if (r != null) {
                String name = pods.get(i);
                for (PodMatch m : r.pods()) {
                    if (m.pod().equals(name)) {
                        matched = m.matchedBlocks();
                    }
                }
            }
            // more matched blocks first, then fewer requests routed so far
            long score = ((long) matched << 32) + (Integer.MAX_VALUE - Math.min(routed[i], Integer.MAX_VALUE));
            if (score > bestScore) {
                bestScore = score;
                best = i;
            }
        }
        return best >= 0 ? best : next++ % pods.size();
    }
}
