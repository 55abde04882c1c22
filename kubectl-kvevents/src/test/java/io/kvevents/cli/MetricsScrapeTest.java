package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonParser;
import io.kvevents.cli.CliHarness.Result;
import io.kvevents.testing.VllmPeer;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: {@code tail --metrics-addr} scraped by a real Prometheus (Debian's prometheus package, which .ci/run
 * installs) on loopback; every documented metric is queried over Prometheus' HTTP API.
 */
class MetricsScrapeTest {
    private static final List<String> METRICS = List.of("kvevents_batches_total", "kvevents_events_total",
            "kvevents_decode_errors_total", "kvevents_gaps_total", "kvevents_replays_total", "kvevents_lost_batches_total",
            "kvevents_restarts_total", "kvevents_last_seq", "kvevents_lag_seconds", "kvevents_last_event_timestamp_seconds");

    @TempDir
    Path dir;

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    @Test
    void aRealPrometheusScrapesEveryDocumentedMetricOfATail() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/prometheus")), "prometheus is not installed");
        int metricsPort = freePort();
        int prometheusPort = freePort();
        Files.writeString(dir.resolve("prometheus.yml"), """
                global: {scrape_interval: 1s, evaluation_interval: 1s}
                scrape_configs:
                  - job_name: kvevents
                    static_configs: [{targets: ['127.0.0.1:%d']}]
                """.formatted(metricsPort));
        try (VllmPeer peer = VllmPeer.start("--clock", "wall")) { // stamps batches as vLLM does: time.time()
            peer.publish(5);
            CompletableFuture<Result> tail = CompletableFuture.supplyAsync(() -> CliHarness.run("tail", "--endpoint",
                    peer.endpointSpec("pod-a"), "--metrics-addr", "127.0.0.1:" + metricsPort, "--timeout", "20s", "-o",
                    "json"));
            Process prometheus = new ProcessBuilder("/usr/bin/prometheus", "--config.file=" + dir.resolve("prometheus.yml"),
                    "--storage.tsdb.path=" + dir.resolve("data"), "--web.listen-address=127.0.0.1:" + prometheusPort)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("prometheus.log").toFile()).start();
            try {
                HttpClient http = HttpClient.newHttpClient();
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                double batches = waitFor(http, prometheusPort, 5, until);
                assertEquals(5.0, batches, Files.readString(dir.resolve("prometheus.log")));
                // the five came by replay: history has no lag to speak of (the old metric, the last event's age, was
                // there and grew without bound on an idle pod)
                assertTrue(query(http, prometheusPort, "kvevents_lag_seconds{source=\"pod-a\"}").isEmpty());
                peer.publish(2); // these come live: the lag is measured on them, not on the replayed five
                batches = waitFor(http, prometheusPort, 7, until);
                assertEquals(7.0, batches, Files.readString(dir.resolve("prometheus.log")));
                for (String metric : METRICS) {
                    JsonArray r = query(http, prometheusPort, metric + "{source=\"pod-a\"}");
                    assertTrue(r != null && !r.isEmpty(), metric + " was scraped");
                }
                JsonArray stored = query(http, prometheusPort, "kvevents_events_total{source=\"pod-a\",type=\"stored\"}");
                assertEquals(7.0, stored.get(0).getAsJsonObject().getAsJsonArray("value").get(1).getAsDouble());
                double lag = query(http, prometheusPort, "kvevents_lag_seconds{source=\"pod-a\"}").get(0).getAsJsonObject()
                        .getAsJsonArray("value").get(1).getAsDouble();
                assertTrue(lag >= 0 && lag < 5, "a live batch on loopback arrives within seconds of its timestamp: " + lag);
                double age = query(http, prometheusPort, "time() - kvevents_last_event_timestamp_seconds{source=\"pod-a\"}")
                        .get(0).getAsJsonObject().getAsJsonArray("value").get(1).getAsDouble();
                assertTrue(age >= 0 && age < 60, "the last event is seconds old: " + age);
            } finally {
                prometheus.destroy();
                prometheus.waitFor(10, TimeUnit.SECONDS);
            }
            assertEquals(0, tail.get(40, TimeUnit.SECONDS).exitCode());
        }
    }

    /** The batches Prometheus has scraped for pod-a once they reach {@code want}, or the last value seen at the deadline. */
    private static double waitFor(HttpClient http, int port, double want, long until) throws InterruptedException {
        double batches = -1;
        while (System.nanoTime() < until && batches < want) {
            Thread.sleep(500);
            JsonArray r = query(http, port, "kvevents_batches_total{source=\"pod-a\"}");
            if (r != null && !r.isEmpty()) {
                batches = r.get(0).getAsJsonObject().getAsJsonArray("value").get(1).getAsDouble();
            }
        }
        return batches;
    }

    private static JsonArray query(HttpClient http, int port, String promql) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
                    + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8))).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                return null;
            }
            return JsonParser.parseString(r.body()).getAsJsonObject().getAsJsonObject("data").getAsJsonArray("result");
        } catch (IOException e) {
            return null; // not up yet
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }
}
