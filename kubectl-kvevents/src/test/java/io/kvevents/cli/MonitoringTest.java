package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kvevents.cli.CliHarness.Result;
import io.kvevents.sdk.Manifests;
import io.kvevents.sdk.Monitoring;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: {@code monitoring rules} and {@code monitoring dashboard}, checked by the real promtool (Debian's
 * prometheus package, which {@code .ci/run} installs): the rules parse, each of the seven alerts (the guide's four, the
 * gateway's sync switch and two on our own metrics) fires on synthetic series that break it and clears when they
 * recover ({@code promtool test rules}), and every dashboard query is valid PromQL. Metric names, types and buckets:
 * vLLM vllm/v1/metrics/loggers.py (v0.11.0, v0.23.0), AIBrix e3e10f9 pkg/cache/kvcache/metrics.go (the event
 * handling histogram's buckets: {@code prometheus.ExponentialBuckets(0.00001, 2, 15)}, 10 µs to 0.16384 s) and
 * pkg/plugins/gateway/algorithms/prefix_cache.go (the indexer status gauge), cAdvisor.
 */
class MonitoringTest {
    @TempDir
    Path dir;

    @BeforeEach
    void needsPromtool() {
        Assumptions.assumeTrue(run(List.of("promtool", "--version")).exitCode == 0, "promtool is not installed");
    }

    private record Ran(int exitCode, String output) {
    }

    private Ran run(List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return new Ran(p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1, out);
        } catch (IOException | InterruptedException e) {
            return new Ran(-1, String.valueOf(e));
        }
    }

    @Test
    void theRulesPassPromtoolAndEachAlertFiresAndClears() throws IOException {
        Result rules = CliHarness.run("monitoring", "rules", "-o", "rulefile");
        assertEquals(0, rules.exitCode(), rules.err());
        Files.writeString(dir.resolve("kvevents.rules.yaml"), rules.out());
        Ran check = run(List.of("promtool", "check", "rules", "kvevents.rules.yaml"));
        assertEquals(0, check.exitCode, check.output);
        assertTrue(check.output.contains("SUCCESS: 7 rules found"), check.output);
        Files.writeString(dir.resolve("test.yaml"), """
                rule_files: [kvevents.rules.yaml]
                evaluation_interval: 1m
                tests:
                  - interval: 1m
                    input_series:
                      # 20 % hits for half an hour, then 80 %
                      - series: 'vllm:prefix_cache_queries_total{model_name="llama",engine="0"}'
                        values: '0+100x60'
                      - series: 'vllm:prefix_cache_hits_total{model_name="llama",engine="0"}'
                        values: '0+20x30 680+80x30'
                      # events taking 82-164 ms each for half an hour, then about a millisecond (the gateway's own
                      # buckets: nothing above 0.16384 but +Inf)
                      - series: 'aibrix_kvcache_zmq_event_processing_duration_seconds_bucket{pod_key="ml/llama-0",le="0.00128"}'
                        values: '0x30 0+10x30'
                      - series: 'aibrix_kvcache_zmq_event_processing_duration_seconds_bucket{pod_key="ml/llama-0",le="0.08192"}'
                        values: '0x30 0+10x30'
                      - series: 'aibrix_kvcache_zmq_event_processing_duration_seconds_bucket{pod_key="ml/llama-0",le="0.16384"}'
                        values: '0+10x60'
                      - series: 'aibrix_kvcache_zmq_event_processing_duration_seconds_bucket{pod_key="ml/llama-0",le="+Inf"}'
                        values: '0+10x60'
                      # a disconnection a minute for 20 minutes, then none
                      - series: 'aibrix_kvcache_zmq_disconnections_total{pod_key="ml/llama-1"}'
                        values: '0+1x20 20x40'
                      - series: 'aibrix_kvcache_zmq_connection_status{pod_key="ml/llama-1"}'
                        values: '1x60'
                      # a gateway started with the local indexer, restarted with sync at minute 20
                      - series: 'aibrix_prefix_cache_indexer_status{model="_init_",indexer_type="sync",namespace="aibrix-system",pod="gw-0"}'
                        values: '0x20 1x40'
                      - series: 'aibrix_prefix_cache_indexer_status{model="_init_",indexer_type="local",namespace="aibrix-system",pod="gw-0"}'
                        values: '1x20 0x40'
                      # the gateway at 90 % of its limit, then 50 %
                      - series: 'container_memory_working_set_bytes{namespace="aibrix-system",container="gateway-plugin",pod="gw-0"}'
                        values: '900x30 500x30'
                      - series: 'container_spec_memory_limit_bytes{namespace="aibrix-system",container="gateway-plugin",pod="gw-0"}'
                        values: '1000x60'
                      # ours: live batches arriving 3 s late for 20 minutes, then 0.05 s
                      - series: 'kvevents_lag_seconds{source="llama-2"}'
                        values: '3x20 0.05x40'
                      # four batches lost at minute 10, none after
                      - series: 'kvevents_lost_batches_total{source="llama-3"}'
                        values: '0x10 4x50'
                    alert_rule_test:
                      - eval_time: 25m
                        alertname: KVCacheHitRateLow
                        exp_alerts:
                          - exp_labels: {severity: warning, model_name: llama}
                            exp_annotations:
                              summary: Prefix cache hit rate of llama is below 50 %
                              description: 20% of prompt tokens hit the prefix cache over 5 minutes.
                      - eval_time: 45m
                        alertname: KVCacheHitRateLow
                        exp_alerts: []
                      - eval_time: 25m
                        alertname: KVEventProcessingLag
                        exp_alerts:
                          - exp_labels: {severity: warning, pod_key: ml/llama-0}
                            exp_annotations:
                              summary: The gateway takes over 100 ms to handle a KV event of ml/llama-0
                              description: 'p99 handling time is 163ms an event: the prefix index falls behind what the engines hold.'
                      - eval_time: 45m
                        alertname: KVEventProcessingLag
                        exp_alerts: []
                      - eval_time: 15m
                        alertname: KVEventZMQConnectionFailures
                        exp_alerts:
                          - exp_labels: {severity: warning, pod_key: ml/llama-1}
                            exp_annotations:
                              summary: The gateway's KV event stream from ml/llama-1 keeps failing
                              description: 'ZeroMQ receive failures (a lost connection or an event it could not read): the pod''s blocks drop out of the prefix index until it reconnects and replays.'
                      - eval_time: 40m
                        alertname: KVEventZMQConnectionFailures
                        exp_alerts: []
                      - eval_time: 15m
                        alertname: KVEventSyncOff
                        exp_alerts:
                          - exp_labels: {severity: warning, namespace: aibrix-system, pod: gw-0}
                            exp_annotations:
                              summary: 'The gateway gw-0 routes by its local prefix index: KV event sync is off'
                              description: 'Its prefix-cache router started without the sync indexer (AIBRIX_KV_EVENT_SYNC_ENABLED, the remote tokenizer endpoint): run kubectl kvevents doctor.'
                      - eval_time: 30m
                        alertname: KVEventSyncOff
                        exp_alerts: []
                      - eval_time: 25m
                        alertname: KVEventGatewayMemoryHigh
                        exp_alerts:
                          - exp_labels: {severity: critical, namespace: aibrix-system, pod: gw-0}
                            exp_annotations:
                              summary: The gateway gw-0 uses over 80 % of its memory limit
                              description: The prefix index grows with the blocks the pods hold; raise the limit before the gateway is killed.
                      - eval_time: 50m
                        alertname: KVEventGatewayMemoryHigh
                        exp_alerts: []
                      - eval_time: 10m
                        alertname: KVEventLagObserved
                        exp_alerts:
                          - exp_labels: {severity: warning, source: llama-2}
                            exp_annotations:
                              summary: Events of llama-2 arrive over 1 s after the engine sent them
                              description: The last live batch arrived 3s after its engine timestamp (clock skew included).
                      - eval_time: 30m
                        alertname: KVEventLagObserved
                        exp_alerts: []
                      - eval_time: 12m
                        alertname: KVEventBatchesLost
                        exp_alerts:
                          - exp_labels: {severity: warning, source: llama-3}
                            exp_annotations:
                              summary: Batches of llama-3 were lost for good
                              description: 'The publisher no longer held them when a gap was replayed: a subscriber''s index misses blocks until the pod clears or restarts (raise buffer_steps in --kv-events-config).'
                      - eval_time: 30m
                        alertname: KVEventBatchesLost
                        exp_alerts: []
                """);
        Ran test = run(List.of("promtool", "test", "rules", "test.yaml"));
        assertEquals(0, test.exitCode, test.output);
        assertTrue(test.output.contains("SUCCESS"), test.output);
    }

    @Test
    void thePrometheusRuleCarriesTheSameGroupAndTheDashboardsQueriesAreValidPromql() throws IOException {
        Result rule = CliHarness.run("monitoring", "rules", "-n", "monitoring", "--model", "llama-3-8b");
        Map<?, ?> doc = (Map<?, ?>) Manifests.read(List.of(write("rule.yaml", rule.out()))).get(0);
        assertEquals("PrometheusRule", doc.get("kind"));
        assertEquals("monitoring", ((Map<?, ?>) doc.get("metadata")).get("namespace"));
        assertTrue(rule.out().contains("model_name=\"llama-3-8b\""), rule.out());

        Result dashboard = CliHarness.run("monitoring", "dashboard", "--model", "llama-3-8b", "--datasource", "prom-1");
        assertEquals(0, dashboard.exitCode(), dashboard.err());
        JsonObject d = JsonParser.parseString(dashboard.out()).getAsJsonObject();
        assertEquals(10, d.getAsJsonArray("panels").size());
        assertTrue(dashboard.out().contains("\"uid\": \"prom-1\""), dashboard.out());
        // every query as a recording rule: promtool parses each expression as Prometheus would
        List<Object> records = new ArrayList<>();
        int i = 0;
        for (String query : Monitoring.dashboardQueries(Monitoring.Options.defaults().withModel("llama-3-8b")).values()) {
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("record", "kvevents:panel_" + i++);
            r.put("expr", query);
            records.add(r);
        }
        write("queries.yaml", Manifests.write(List.of(Map.of("groups", List.of(Map.of("name", "q", "rules", records))))));
        Ran check = run(List.of("promtool", "check", "rules", "queries.yaml"));
        assertEquals(0, check.exitCode, check.output);
        assertTrue(check.output.contains("SUCCESS: 10 rules found"), check.output);
    }

    private Path write(String name, String text) throws IOException {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }
}
