package io.kvevents.cli;

import io.kvevents.sdk.IndexStats;
import io.kvevents.sdk.SourceStats;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;

/**
 * {@code --metrics-addr HOST:PORT}: Prometheus metrics of a long-running command, read from the stream's (and the
 * index's) own counters at each scrape. Names (docs/cli.md): {@code kvevents_batches_total},
 * {@code kvevents_events_total{type}}, {@code kvevents_decode_errors_total}, {@code kvevents_gaps_total},
 * {@code kvevents_replays_total}, {@code kvevents_lost_batches_total}, {@code kvevents_restarts_total},
 * {@code kvevents_last_seq}, {@code kvevents_lag_seconds}, {@code kvevents_last_event_timestamp_seconds} and, with an index, {@code kvevents_resident_blocks{tier}};
 * every one labelled by {@code source}.
 */
final class MetricsServer implements AutoCloseable {
    private final HTTPServer server;

    private MetricsServer(HTTPServer server) {
        this.server = server;
    }

    /**
     * @param address {@code HOST:PORT} or {@code :PORT} (every interface)
     * @param index the index's stats, or null for a command without one
     */
    static MetricsServer start(String address, Supplier<List<SourceStats>> sources, Supplier<IndexStats> index) {
        int colon = address.lastIndexOf(':');
        String host = colon <= 0 ? null : address.substring(0, colon).replace("[", "").replace("]", "");
        int port;
        try {
            port = Integer.parseInt(address.substring(colon + 1));
        } catch (NumberFormatException e) {
            throw CliException.usage("--metrics-addr " + address + " is not HOST:PORT (e.g. 127.0.0.1:9090 or :9090)");
        }
        PrometheusRegistry registry = new PrometheusRegistry();
        registry.register((MultiCollector) () -> snapshots(sources.get(), index == null ? null : index.get()));
        try {
            HTTPServer.Builder b = HTTPServer.builder().port(port).registry(registry);
            if (host != null) {
                b.hostname(host);
            }
            return new MetricsServer(b.buildAndStart());
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot serve metrics on " + address + ": " + e.getMessage());
        }
    }

    int port() {
        return server.getPort();
    }

    private static MetricSnapshots snapshots(List<SourceStats> stats, IndexStats index) {
        List<MetricSnapshot> out = new ArrayList<>();
        out.add(counter("kvevents_batches", "Batches applied, per source.", stats, SourceStats::batches));
        CounterSnapshot.Builder events = CounterSnapshot.builder().name("kvevents_events")
                .help("Events applied, per source and type.");
        for (SourceStats s : stats) {
            events.dataPoint(point(s.source(), "stored", s.stored()));
            events.dataPoint(point(s.source(), "removed", s.removed()));
            events.dataPoint(point(s.source(), "cleared", s.cleared()));
            events.dataPoint(point(s.source(), "unknown", s.unknown()));
        }
        out.add(events.build());
        out.add(counter("kvevents_decode_errors", "Messages that could not be decoded.", stats, SourceStats::decodeErrors));
        out.add(counter("kvevents_gaps", "Sequence gaps seen (each replayed when the publisher still holds it).", stats,
                SourceStats::gaps));
        out.add(counter("kvevents_replays", "Replays requested.", stats, SourceStats::replays));
        out.add(counter("kvevents_lost_batches", "Batches the publisher no longer held: lost for good.", stats,
                SourceStats::lostBatches));
        out.add(counter("kvevents_restarts", "Publisher restarts seen.", stats, SourceStats::restarts));
        out.add(gauge("kvevents_last_seq", "The last applied sequence number.", stats, s -> (double) s.lastSeq()));
        out.add(gauge("kvevents_lag_seconds", "The event lag: the arrival of the last batch that came live minus"
                + " its engine timestamp.", stats, s -> s.delay() == null ? null : s.delay().toNanos() / 1e9));
        out.add(gauge("kvevents_last_event_timestamp_seconds", "The engine timestamp of the last applied batch"
                + " (time() minus it is the age of the source's last event).", stats, SourceStats::lastEventTs));
        if (index != null) {
            GaugeSnapshot.Builder resident = GaugeSnapshot.builder().name("kvevents_resident_blocks")
                    .help("Blocks the index holds for each source, per tier.");
            for (IndexStats.SourceBlocks b : index.sources()) {
                resident.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                        .labels(Labels.of("source", b.source(), "tier", "gpu")).value(b.gpuBlocks()).build());
                resident.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder()
                        .labels(Labels.of("source", b.source(), "tier", "offload")).value(b.offloadBlocks()).build());
            }
            out.add(resident.build());
        }
        return new MetricSnapshots(out);
    }

    /** A gauge with a point for each source whose value is known (not null: a lag only after a live batch). */
    private static GaugeSnapshot gauge(String name, String help, List<SourceStats> stats, Function<SourceStats, Double> f) {
        GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
        for (SourceStats s : stats) {
            Double value = f.apply(s);
            if (value != null) {
                b.dataPoint(GaugeSnapshot.GaugeDataPointSnapshot.builder().labels(Labels.of("source", s.source())).value(value).build());
            }
        }
        return b.build();
    }

    private static CounterSnapshot.CounterDataPointSnapshot point(String source, String type, long value) {
        return CounterSnapshot.CounterDataPointSnapshot.builder().labels(Labels.of("source", source, "type", type))
                .value(value).build();
    }

    private static CounterSnapshot counter(String name, String help, List<SourceStats> stats, ToLongFunction<SourceStats> f) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        for (SourceStats s : stats) {
            b.dataPoint(CounterSnapshot.CounterDataPointSnapshot.builder().labels(Labels.of("source", s.source()))
                    .value(f.applyAsLong(s)).build());
        }
        return b.build();
    }

    @Override
    public void close() {
        server.close();
    }
}
