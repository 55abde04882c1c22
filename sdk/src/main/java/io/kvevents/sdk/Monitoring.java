package io.kvevents.sdk;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The migration guide's monitoring, on metric names that exist: its four alerts as a Prometheus rule group, and a
 * Grafana dashboard. The names are upstream's:
 * <ul>
 *   <li>vLLM's prefix-cache counters {@code vllm:prefix_cache_queries} and {@code vllm:prefix_cache_hits} (labels
 *       {@code model_name}, {@code engine}; vllm/v1/metrics/loggers.py v0.11.0 and v0.23.0; since d1e34cc9a, 0.9.2),
 *       and the older {@code vllm:gpu_prefix_cache_queries}/{@code _hits} (v0.9.1; hidden in 0.11, removed by 9cf4edae6
 *       in 0.12) — counters, so exposed with {@code _total}; where both exist they carry the same labels, so
 *       {@code rate(a) or rate(b)} counts each once;</li>
 *   <li>the AIBrix gateway's KV event sync metrics {@code aibrix_kvcache_zmq_*} (label {@code pod_key}; AIBrix
 *       e3e10f9 pkg/cache/kvcache/metrics.go, subsystem "aibrix" in pkg/constants/metrics.go). Only AIBrix 0.4 serves
 *       them: they are registered by {@code kvcache.InitializeMetrics}, which nothing calls since 7df85c5c (0.5.0), so
 *       the two alerts on them stay silent on later gateways;</li>
 *   <li>the gateway's prefix-cache router's {@code aibrix_prefix_cache_indexer_status} gauge (labels {@code model}
 *       "_init_", {@code indexer_type} sync or local), set when the router is built at start-up: 1 for the sync
 *       indexer when KV event sync is on (e3e10f9 pkg/plugins/gateway/algorithms/prefix_cache.go
 *       NewPrefixCacheRouter), served since AIBrix 0.4;</li>
 *   <li>cAdvisor's {@code container_memory_working_set_bytes} and {@code container_spec_memory_limit_bytes} for the
 *       gateway plugin container.</li>
 * </ul>
 *
 * <pre>{@code
 * Manifests.write(List.of(Monitoring.prometheusRule(Monitoring.Options.defaults().withModel("llama-3-8b"))))
 * }</pre>
 */
public final class Monitoring {

    /**
     * @param namespace where the PrometheusRule goes
     * @param model only this served model's engines (null: every model)
     * @param gatewayNamespace the gateway's namespace (its container's memory)
     * @param gatewayContainer the gateway plugin's container name
     * @param datasource the Grafana Prometheus datasource's uid
     */
    public record Options(String namespace, String model, String gatewayNamespace, String gatewayContainer,
            String datasource) {
        public static Options defaults() {
            return new Options("aibrix-system", null, "aibrix-system", "gateway-plugin", "prometheus");
        }

        public Options withNamespace(String ns) {
            return new Options(ns, model, gatewayNamespace, gatewayContainer, datasource);
        }

        public Options withModel(String m) {
            return new Options(namespace, m, gatewayNamespace, gatewayContainer, datasource);
        }

        public Options withGateway(String ns, String container) {
            return new Options(namespace, model, ns, container, datasource);
        }

        public Options withDatasource(String uid) {
            return new Options(namespace, model, gatewayNamespace, gatewayContainer, uid);
        }
    }

    private Monitoring() {
    }

    /** The hit rate of each model's prefix caches over 5 minutes, vLLM ≥ 0.9.2's counters first, the older ones else. */
    public static String hitRate(Options o) {
        String sel = o.model() == null ? "" : "{model_name=\"" + o.model() + "\"}";
        return "sum by (model_name) (rate(vllm:prefix_cache_hits_total" + sel + "[5m]) or rate(vllm:gpu_prefix_cache_hits_total"
                + sel + "[5m]))\n  /\nsum by (model_name) (rate(vllm:prefix_cache_queries_total" + sel
                + "[5m]) or rate(vllm:gpu_prefix_cache_queries_total" + sel + "[5m]))";
    }

    /**
     * The rule group ({@code groups:} as a Prometheus rule file holds it): the guide's four alerts, whether the gateway
     * runs KV event sync at all, and two on the event path as a long-running {@code tail} or {@code top} sees it.
     */
    public static Map<String, Object> ruleGroup(Options o) {
        String gw = "{namespace=\"" + o.gatewayNamespace() + "\", container=\"" + o.gatewayContainer() + "\"}";
        List<Object> rules = new ArrayList<>();
        // The gateway times each event's handling into buckets that end at 0.16384 s (ExponentialBuckets(0.00001, 2,
        // 15), kvcache/metrics.go): its p99 can never read over 1 s, the guide's threshold, which the end-to-end lag
        // below (KVEventLagObserved) measures. 0.1 s a handled event is already a gateway that falls behind.
        rules.add(alert("KVEventProcessingLag",
                "histogram_quantile(0.99, sum by (le, pod_key) (rate(aibrix_kvcache_zmq_event_processing_duration_seconds_bucket[5m]))) > 0.1",
                "5m", "warning", "The gateway takes over 100 ms to handle a KV event of {{ $labels.pod_key }}",
                "p99 handling time is {{ $value | humanizeDuration }} an event: the prefix index falls behind what the"
                        + " engines hold."));
        rules.add(alert("KVCacheHitRateLow", "(" + hitRate(o) + ") < 0.5", "15m", "warning",
                "Prefix cache hit rate of {{ $labels.model_name }} is below 50 %",
                "{{ $value | humanizePercentage }} of prompt tokens hit the prefix cache over 5 minutes."));
        // disconnections_total counts every failed receive, a bad frame's too (zmq_client.go markDisconnected)
        rules.add(alert("KVEventZMQConnectionFailures",
                "sum by (pod_key) (increase(aibrix_kvcache_zmq_disconnections_total[5m])) > 0\nor\n"
                        + "max by (pod_key) (aibrix_kvcache_zmq_connection_status) == 0",
                "5m", "warning", "The gateway's KV event stream from {{ $labels.pod_key }} keeps failing",
                "ZeroMQ receive failures (a lost connection or an event it could not read): the pod's blocks drop out of"
                        + " the prefix index until it reconnects and replays."));
        rules.add(alert("KVEventSyncOff",
                "max by (namespace, pod) (aibrix_prefix_cache_indexer_status{indexer_type=\"sync\", namespace=\""
                        + o.gatewayNamespace() + "\"}) == 0",
                "5m", "warning", "The gateway {{ $labels.pod }} routes by its local prefix index: KV event sync is off",
                "Its prefix-cache router started without the sync indexer (AIBRIX_KV_EVENT_SYNC_ENABLED, the remote"
                        + " tokenizer endpoint): run kubectl kvevents doctor."));
        rules.add(alert("KVEventGatewayMemoryHigh",
                "max by (namespace, pod) (container_memory_working_set_bytes" + gw + ")\n  /\n"
                        + "max by (namespace, pod) (container_spec_memory_limit_bytes" + gw + " > 0) > 0.8",
                "10m", "critical", "The gateway {{ $labels.pod }} uses over 80 % of its memory limit",
                "The prefix index grows with the blocks the pods hold; raise the limit before the gateway is killed."));
        // ours, from a long-running tail, top or cache-probe with --metrics-addr: what the event path itself saw
        rules.add(alert("KVEventLagObserved", "max by (source) (kvevents_lag_seconds) > 1", "5m", "warning",
                "Events of {{ $labels.source }} arrive over 1 s after the engine sent them",
                "The last live batch arrived {{ $value | humanizeDuration }} after its engine timestamp (clock skew included)."));
        rules.add(alert("KVEventBatchesLost", "sum by (source) (increase(kvevents_lost_batches_total[10m])) > 0", "0m",
                "warning", "Batches of {{ $labels.source }} were lost for good",
                "The publisher no longer held them when a gap was replayed: a subscriber's index misses blocks until the"
                        + " pod clears or restarts (raise buffer_steps in --kv-events-config)."));
        Map<String, Object> group = new LinkedHashMap<>();
        group.put("name", "kvevents");
        group.put("rules", rules);
        return group;
    }

    /** The rule group as a PrometheusRule object (monitoring.coreos.com/v1, the Prometheus Operator's). */
    public static Map<String, Object> prometheusRule(Options o) {
        Map<String, Object> metadata = new LinkedHashMap<>();
        metadata.put("name", o.model() == null ? "kvevents" : "kvevents-" + o.model());
        metadata.put("namespace", o.namespace());
        metadata.put("labels", Map.of("app.kubernetes.io/name", "kvevents"));
        Map<String, Object> rule = new LinkedHashMap<>();
        rule.put("apiVersion", "monitoring.coreos.com/v1");
        rule.put("kind", "PrometheusRule");
        rule.put("metadata", metadata);
        rule.put("spec", Map.of("groups", List.of(ruleGroup(o))));
        return rule;
    }

    /** The rules as a plain Prometheus rule file ({@code promtool check rules} reads it). */
    public static Map<String, Object> ruleFile(Options o) {
        return Map.of("groups", List.of(ruleGroup(o)));
    }

    private static Map<String, Object> alert(String name, String expr, String forDuration, String severity,
            String summary, String description) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("alert", name);
        r.put("expr", expr);
        r.put("for", forDuration);
        r.put("labels", Map.of("severity", severity));
        Map<String, Object> annotations = new LinkedHashMap<>();
        annotations.put("summary", summary);
        annotations.put("description", description);
        r.put("annotations", annotations);
        return r;
    }

    /** Every query of {@link #dashboard}, by panel title (each valid PromQL). */
    public static Map<String, String> dashboardQueries(Options o) {
        String sel = o.model() == null ? "" : "model_name=\"" + o.model() + "\"";
        String gw = "namespace=\"" + o.gatewayNamespace() + "\", container=\"" + o.gatewayContainer() + "\"";
        Map<String, String> q = new LinkedHashMap<>();
        q.put("Prefix cache hit rate per model", hitRate(o));
        // vLLM's series carry no pod label of their own: the scrape adds it (a PodMonitor, kubernetes_sd relabelling)
        q.put("Prefix cache hit rate per pod", "sum by (pod) (rate(vllm:prefix_cache_hits_total{" + sel + "}[5m]) or"
                + " rate(vllm:gpu_prefix_cache_hits_total{" + sel + "}[5m]))\n  /\n"
                + "sum by (pod) (rate(vllm:prefix_cache_queries_total{" + sel + "}[5m]) or"
                + " rate(vllm:gpu_prefix_cache_queries_total{" + sel + "}[5m]))");
        q.put("Gateway prefix index (1: KV event sync, 0: local)",
                "max by (pod, indexer_type) (aibrix_prefix_cache_indexer_status)");
        q.put("Routing decisions by prefix match", "sum by (match_percent_bucket, using_kv_sync) "
                + "(rate(aibrix_prefix_cache_routing_decisions_total" + (o.model() == null ? "" : "{model=\"" + o.model()
                + "\"}") + "[5m]))");
        q.put("KV events received per second, by type",
                "sum by (event_type) (rate(aibrix_kvcache_zmq_events_received_total[5m]))");
        q.put("Event handling time p99", "histogram_quantile(0.99, sum by (le, pod_key) "
                + "(rate(aibrix_kvcache_zmq_event_processing_duration_seconds_bucket[5m])))");
        q.put("Sequence gaps", "sum by (pod_key) (increase(aibrix_kvcache_zmq_missed_events_total[5m]))");
        q.put("Replays answered", "sum by (pod_key) (increase(aibrix_kvcache_zmq_replay_requests_total[5m]))");
        q.put("ZeroMQ receive failures", "sum by (pod_key) (increase(aibrix_kvcache_zmq_disconnections_total[5m]))");
        q.put("Gateway memory", "max by (pod) (container_memory_working_set_bytes{" + gw + "})");
        return q;
    }

    /**
     * A Grafana dashboard: hit rate per model and per pod (before and after the migration show on the same time
     * axis), event rates, processing time, gaps, replays, disconnections and the gateway's memory.
     */
    public static Map<String, Object> dashboard(Options o) {
        List<Object> panels = new ArrayList<>();
        int id = 1;
        int y = 0;
        for (Map.Entry<String, String> e : dashboardQueries(o).entrySet()) {
            Map<String, Object> target = new LinkedHashMap<>();
            target.put("refId", "A");
            target.put("datasource", Map.of("type", "prometheus", "uid", o.datasource()));
            target.put("expr", e.getValue());
            Map<String, Object> panel = new LinkedHashMap<>();
            panel.put("id", id);
            panel.put("type", "timeseries");
            panel.put("title", e.getKey());
            panel.put("datasource", Map.of("type", "prometheus", "uid", o.datasource()));
            panel.put("gridPos", Map.of("h", 8, "w", 12, "x", (id - 1) % 2 * 12, "y", y));
            panel.put("targets", List.of(target));
            if (e.getKey().contains("hit rate")) {
                panel.put("fieldConfig", Map.of("defaults", Map.of("unit", "percentunit", "min", 0, "max", 1)));
            }
            panels.add(panel);
            y += id % 2 == 0 ? 8 : 0;
            id++;
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("title", o.model() == null ? "KV event sync" : "KV event sync: " + o.model());
        d.put("uid", o.model() == null ? "kvevents" : "kvevents-" + o.model());
        d.put("schemaVersion", 39);
        d.put("time", Map.of("from", "now-6h", "to", "now"));
        d.put("tags", List.of("vllm", "aibrix", "kv-events"));
        d.put("panels", panels);
        return d;
    }
}
