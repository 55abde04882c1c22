package io.kvevents.sdk;

import io.kvevents.internal.kube.JsonTree;
import io.kvevents.internal.kube.KubeApi;
import io.kvevents.internal.kube.PodTargets;
import io.kvevents.internal.metrics.EngineMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A rollout's two tracks side by side from the engines' own metrics over a window, the verdict the migration guide
 * asks for ("canary hit rate +x pp, TTFT p50 −y ms"): each ready pod's {@code /metrics} read through port-forward at
 * the start and the end of the window, the increases summed per track.
 *
 * @param baseline stable (canary rollouts) or blue
 * @param candidate the canary or green, which has KV events
 */
public record Comparison(String model, Rollouts.Strategy strategy, Duration window, Track baseline, Track candidate) {

    /**
     * One track over the window.
     *
     * @param pods the ready pods read at both ends of the window
     * @param unread the ready pods whose /metrics could not be read at one end (left out)
     * @param hitRate prefix-cache hits over queries, in tokens; NaN without queries
     * @param ttftP50 median time to first token, seconds; NaN without requests
     * @param errorRate aborted (or errored) requests over finished ones; NaN without requests
     */
    public record Track(String name, List<String> pods, List<String> unread, double queries, double hitRate, double ttftP50, double requests,
            double errorRate) {
    }

    /**
     * Reads both tracks of {@code model}'s rollout over {@code window}.
     *
     * @throws IllegalStateException when the model is in no rollout, or a track has no ready pod
     */
    public static Comparison of(KubeContext context, String model, Duration window) {
        KubeApi api = KubeApi.connect(context);
        String ns = api.defaultNamespace();
        Map<String, Object> stable = api.deployment(ns, model);
        if (stable == null) {
            throw new IllegalArgumentException("no Deployment named " + model + " in namespace " + ns);
        }
        Rollouts.State state = Rollouts.state(stable).orElseThrow(() -> new IllegalStateException("deployment.apps/" + model
                + " is in no canary or blue-green rollout: start one with kubectl kvevents enable " + model
                + " --canary 10% (or --blue-green)"));
        Map<String, Object> track = api.deployment(ns, state.track());
        if (track == null) {
            throw new IllegalStateException("deployment.apps/" + state.track() + " is gone: disable " + model + " ends the rollout");
        }
        boolean canary = state.strategy() == Rollouts.Strategy.CANARY;
        List<Map<String, Object>> basePods = ready(api, stable);
        List<Map<String, Object>> candidatePods = ready(api, track);
        String baseName = canary ? "stable" : "blue";
        String candidateName = canary ? "canary" : "green";
        if (basePods.isEmpty() || candidatePods.isEmpty()) {
            throw new IllegalStateException("no ready pod on the " + (basePods.isEmpty() ? baseName : candidateName)
                    + " side: nothing to compare (" + (state.cutOver() ? "blue is cut over to 0 replicas" : "wait for its pods")
                    + ")");
        }
        Map<String, EngineMetrics.Counters> before = scrape(api, basePods, candidatePods);
        try {
            Thread.sleep(window.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted during the comparison window", e);
        }
        Map<String, EngineMetrics.Counters> after = scrape(api, basePods, candidatePods);
        return new Comparison(model, state.strategy(), window, track(baseName, basePods, before, after),
                track(candidateName, candidatePods, before, after));
    }

    private static List<Map<String, Object>> ready(KubeApi api, Map<String, Object> deployment) {
        return api.podsOf(deployment).stream().filter(PodTargets::isReady).toList();
    }

    /** Each pod's counters now; a pod whose /metrics cannot be read is left out (said by its absence in pods()). */
    private static Map<String, EngineMetrics.Counters> scrape(KubeApi api, List<Map<String, Object>> a, List<Map<String, Object>> b) {
        Map<String, EngineMetrics.Counters> out = new LinkedHashMap<>();
        for (List<Map<String, Object>> side : List.of(a, b)) {
            for (Map<String, Object> pod : side) {
                try {
                    out.put(JsonTree.name(pod), EngineMetrics.Counters.of(EngineMetrics.scrape(api, pod)));
                } catch (RuntimeException unreadable) {
                    // compared without it
                }
            }
        }
        return out;
    }

    private static Track track(String name, List<Map<String, Object>> pods, Map<String, EngineMetrics.Counters> before,
            Map<String, EngineMetrics.Counters> after) {
        EngineMetrics.Counters sum = EngineMetrics.Counters.zero();
        List<String> read = new ArrayList<>();
        List<String> unread = new ArrayList<>();
        for (Map<String, Object> pod : pods) {
            String p = JsonTree.name(pod);
            if (before.containsKey(p) && after.containsKey(p)) {
                sum = sum.plus(after.get(p).since(before.get(p)));
                read.add(p);
            } else {
                unread.add(p);
            }
        }
        if (read.isEmpty()) {
            throw new IllegalStateException("the /metrics of no " + name + " pod could be read (" + String.join(", ", unread)
                    + "): nothing to compare; check that the engine's HTTP port answers /metrics");
        }
        return new Track(name, read, unread, sum.queries(), sum.hitRate(), sum.ttftQuantile(0.5), sum.requests(), sum.errorRate());
    }

    /**
     * The guide's verdict: {@code canary hit rate +12.0 pp (71.0 % vs 59.0 %), TTFT p50 −85 ms (90 ms vs 175 ms),
     * errors 0.0 % vs 0.0 %}; a side without traffic in the window gives no verdict, and says so.
     */
    public String verdict() {
        if (Double.isNaN(candidate.hitRate) || Double.isNaN(baseline.hitRate)) {
            Track quiet = Double.isNaN(candidate.hitRate) ? candidate : baseline;
            return "no verdict: the " + quiet.name + " pods served no prompt in " + seconds(window)
                    + " (compare over a longer --window, or while traffic flows)";
        }
        StringBuilder b = new StringBuilder(String.format(Locale.ROOT, "%s hit rate %+.1f pp (%.1f %% vs %.1f %%)", candidate.name,
                100 * (candidate.hitRate - baseline.hitRate), 100 * candidate.hitRate, 100 * baseline.hitRate));
        if (!Double.isNaN(candidate.ttftP50) && !Double.isNaN(baseline.ttftP50)) {
            long delta = Math.round(1000 * (candidate.ttftP50 - baseline.ttftP50));
            b.append(String.format(Locale.ROOT, ", TTFT p50 %s%d ms (%d ms vs %d ms)", delta < 0 ? "−" : "+", Math.abs(delta),
                    Math.round(1000 * candidate.ttftP50), Math.round(1000 * baseline.ttftP50)));
        }
        if (!Double.isNaN(candidate.errorRate) && !Double.isNaN(baseline.errorRate)) {
            b.append(String.format(Locale.ROOT, ", errors %.1f %% vs %.1f %%", 100 * candidate.errorRate, 100 * baseline.errorRate));
        }
        return b.toString();
    }

    private static String seconds(Duration d) {
        return d.toMillis() % 60_000 == 0 ? d.toMinutes() + "m" : d.toMillis() % 1000 == 0 ? d.toSeconds() + "s" : d.toMillis() + "ms";
    }

    @Override
    public String toString() {
        return "Comparison[" + model + ": " + verdict() + "]";
    }
}
