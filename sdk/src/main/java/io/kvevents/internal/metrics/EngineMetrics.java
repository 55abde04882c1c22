package io.kvevents.internal.metrics;

import io.kvevents.internal.kube.JsonTree;
import io.kvevents.internal.kube.KubeApi;
import io.kvevents.internal.kube.PodTargets;
import io.kvevents.internal.kube.PortForwarder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * An engine's own Prometheus metrics, read from its pod's {@code /metrics} through port-forward, and the counters
 * {@code compare} and {@code doctor} use. Names as vLLM v0.11.0 vllm/v1/metrics/loggers.py defines them (counters
 * exposed with {@code _total}): {@code vllm:prefix_cache_queries} and {@code vllm:prefix_cache_hits} (tokens; before
 * 0.9.2, and hidden until 0.12 removed them, {@code vllm:gpu_prefix_cache_queries}/{@code _hits}), {@code vllm:time_to_first_token_seconds} (a
 * histogram), {@code vllm:request_success} by {@code finished_reason} (stop, length, abort; newer releases add error and repetition). A request the client
 * drops is aborted without being counted (vLLM 5ac26849 output_processor.py {@code abort_requests} updates no stats).
 */
public final class EngineMetrics {
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    private EngineMetrics() {
    }

    /**
     * The counters of one scrape, summed over the engines (data-parallel ranks) of a pod, or of several pods.
     *
     * @param ttftBuckets cumulative count of first tokens within each upper bound (seconds), {@code +Inf} last
     */
    public record Counters(double queries, double hits, double requests, double errors, TreeMap<Double, Double> ttftBuckets) {

        /** Nothing counted. */
        public static Counters zero() {
            return new Counters(0, 0, 0, 0, new TreeMap<>());
        }

        /** The counts of one exposition. */
        public static Counters of(List<Exposition.Sample> samples) {
            double queries = sum(samples, "vllm:prefix_cache_queries_total");
            double hits = sum(samples, "vllm:prefix_cache_hits_total");
            if (Exposition.named(samples, "vllm:prefix_cache_queries_total").isEmpty()) {
                queries = sum(samples, "vllm:gpu_prefix_cache_queries_total");
                hits = sum(samples, "vllm:gpu_prefix_cache_hits_total");
            }
            double requests = sum(samples, "vllm:request_success_total");
            double errors = 0;
            for (Exposition.Sample s : Exposition.named(samples, "vllm:request_success_total")) {
                String reason = s.label("finished_reason");
                if ("abort".equals(reason) || "error".equals(reason)) {
                    errors += s.value();
                }
            }
            TreeMap<Double, Double> buckets = new TreeMap<>();
            for (Exposition.Sample s : Exposition.named(samples, "vllm:time_to_first_token_seconds_bucket")) {
                double le = "+Inf".equals(s.label("le")) ? Double.POSITIVE_INFINITY : Double.parseDouble(s.label("le"));
                buckets.merge(le, s.value(), Double::sum);
            }
            return new Counters(queries, hits, requests, errors, buckets);
        }

        private static double sum(List<Exposition.Sample> samples, String name) {
            return Exposition.named(samples, name).stream().mapToDouble(Exposition.Sample::value).sum();
        }

        /** Adds another pod's counts. */
        public Counters plus(Counters o) {
            TreeMap<Double, Double> b = new TreeMap<>(ttftBuckets);
            o.ttftBuckets.forEach((le, n) -> b.merge(le, n, Double::sum));
            return new Counters(queries + o.queries, hits + o.hits, requests + o.requests, errors + o.errors, b);
        }

        /**
         * What was counted since {@code before}, as Prometheus' {@code increase} takes it: a counter that went down
         * started again (the engine restarted), and its value now is the increase.
         */
        public Counters since(Counters before) {
            TreeMap<Double, Double> b = new TreeMap<>();
            ttftBuckets.forEach((le, n) -> b.put(le, increase(before.ttftBuckets.getOrDefault(le, 0.0), n)));
            return new Counters(increase(before.queries, queries), increase(before.hits, hits),
                    increase(before.requests, requests), increase(before.errors, errors), b);
        }

        private static double increase(double before, double now) {
            return now >= before ? now - before : now;
        }

        /** Hits over queries; NaN without queries. */
        public double hitRate() {
            return queries > 0 ? hits / queries : Double.NaN;
        }

        /** Errors over requests; NaN without requests. */
        public double errorRate() {
            return requests > 0 ? errors / requests : Double.NaN;
        }

        /**
         * The {@code q} quantile of the time to first token, interpolated within its bucket as PromQL's
         * {@code histogram_quantile} does; NaN without observations.
         */
        public double ttftQuantile(double q) {
            if (ttftBuckets.isEmpty()) {
                return Double.NaN;
            }
            double total = ttftBuckets.lastEntry().getValue();
            if (total <= 0) {
                return Double.NaN;
            }
            double rank = q * total;
            double lowerBound = 0;
            double lowerCount = 0;
            for (Map.Entry<Double, Double> e : ttftBuckets.entrySet()) {
                if (e.getValue() >= rank) {
                    if (e.getKey().isInfinite()) {
                        return lowerBound; // the highest finite bound, as histogram_quantile answers
                    }
                    double inBucket = e.getValue() - lowerCount;
                    return inBucket <= 0 ? e.getKey() : lowerBound + (e.getKey() - lowerBound) * (rank - lowerCount) / inBucket;
                }
                lowerBound = e.getKey();
                lowerCount = e.getValue();
            }
            return lowerBound;
        }
    }

    /** The samples of a pod's engine {@code /metrics}, through a port-forward to its HTTP port. */
    public static List<Exposition.Sample> scrape(KubeApi api, Map<String, Object> pod) {
        String ns = JsonTree.namespace(pod);
        String name = JsonTree.name(pod);
        PodTargets.Pod engine = PodTargets.engine(ns, name, JsonTree.at(pod, "spec"));
        try (PortForwarder forward = PortForwarder.open(api.streamingClient(), ns, name, engine.httpPort(), r -> { })) {
            HttpResponse<String> r = io.kvevents.internal.http.EngineHttp.client(TIMEOUT).send(
                    HttpRequest.newBuilder(URI.create(forward.httpUrl() + "/metrics")).timeout(TIMEOUT).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("pod " + name + " answered /metrics with HTTP " + r.statusCode());
            }
            return Exposition.parse(r.body());
        } catch (IOException e) {
            throw new IllegalStateException("pod " + name + "'s /metrics could not be read on port " + engine.httpPort() + ": "
                    + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading pod " + name + "'s /metrics", e);
        }
    }
}
