package io.kvevents.cli;

import com.google.gson.stream.JsonWriter;
import io.kvevents.sdk.Benchmark;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents bench}: the figures of docs/performance.md on this machine. */
@Command(name = BenchCommand.NAME,
        mixinStandardHelpOptions = true,
        header = BenchCommand.HEADER,
        description = "Measure ingest, probe latency, memory per entry and replay recovery on a workload trace"
            + " (medians over --repeat runs).",
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true,
        footerHeading = "%nExamples:%n",
        footer = {"  # the default figures (16 pods, the conversation trace), as one JSON object",
            "  kubectl kvevents bench -o json",
            "",
            "  # a fleet: 1,024 pods of 8,192 blocks",
            "  kubectl kvevents bench --pods 1024 --blocks 8192 --repeat 3"})
final class BenchCommand implements Callable<Integer> {
    static final String NAME = "bench";
    static final String HEADER = "Measure ingest, probe, memory and recovery on this machine.";

    /** Output formats. */
    enum Format { table, json }

    @Spec
    CommandSpec spec;

    @Mixin
    TraceOption trace;

    @Option(names = "--pods", paramLabel = "N", defaultValue = "16", description = "Simulated pods (default: ${DEFAULT-VALUE}).")
    int pods;

    @Mixin
    CacheOptions cache;

    @Option(names = "--requests", paramLabel = "N", description = "Requests of the trace to use (default: all).")
    Integer requests;

    @Option(names = "--repeat", paramLabel = "N", defaultValue = "5", description = "Runs per figure (default: ${DEFAULT-VALUE}).")
    int repeat;

    @Option(names = "--probes", paramLabel = "N", defaultValue = "2000", description = "Probes timed per run, after ten times as many untimed (2 s at most) (default: ${DEFAULT-VALUE}).")
    int probes;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "Output format: ${COMPLETION-CANDIDATES}.")
    Format output;

    @Override
    public Integer call() {
        if (repeat < 1 || probes < 1 || pods < 1 || cache.blocks < 1 || cache.blockSize < 1) {
            throw CliException.usage("--repeat, --probes, --pods, --blocks and --block-size must be positive");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        var workload = trace.read(requests == null ? Integer.MAX_VALUE : requests);
        Benchmark.Result r = Benchmark.run(workload, new Benchmark.Config(pods, cache.blocks, cache.blockSize, workload.size(),
                repeat, probes), step -> {
                    err.println("bench: " + step);
                    err.flush();
                });
        if (output == Format.json) {
            out.println(json(r));
        } else {
            new Table("FIGURE", "VALUE", "TARGET")
                    .row("ingest (decode + apply, 1 thread)", String.format(Locale.ROOT, "%,.0f blocks/s", r.ingestBlocksPerSecond()), "≥ 5,000,000 blocks/s")
                    .row("ingest, index sized for the fleet", String.format(Locale.ROOT, "%,.0f blocks/s",
                            r.ingestPresizedBlocksPerSecond()), "≥ 5,000,000 blocks/s")
                    .row("ingest, 2 threads (pipelined index)", String.format(Locale.ROOT, "%,.0f blocks/s",
                            r.ingestTwoThreadsBlocksPerSecond()), "(N threads, reported apart)")
                    .row("ingest, 2 threads, sized for the fleet", String.format(Locale.ROOT, "%,.0f blocks/s",
                            r.ingestTwoThreadsPresizedBlocksPerSecond()), "(N threads, reported apart)")
                    .row("probe p50 (2,048 blocks)", String.format(Locale.ROOT, "%.1f µs", r.probeP50Micros()), "≤ 30 µs")
                    .row("probe p99", String.format(Locale.ROOT, "%.1f µs", r.probeP99Micros()), "≤ 100 µs")
                    .row("memory per resident entry", String.format(Locale.ROOT, "%.1f bytes", r.bytesPerEntry()), "≤ 40 bytes")
                    .row("resident (block, pod) entries", String.format(Locale.ROOT, "%,d", r.residentEntries()), "≥ 2,000,000")
                    .row("recovery of " + String.format(Locale.ROOT, "%,d", r.recoveryBatches()) + " batches",
                            String.format(Locale.ROOT, "%.0f ms", r.recoveryMillis()), "≤ 1,000 ms for 10,000")
                    .print(out);
        }
        out.flush();
        return ExitCodes.OK;
    }

    static String json(Benchmark.Result r) {
        StringWriter text = new StringWriter();
        try (JsonWriter w = new JsonWriter(text)) {
            w.beginObject();
            w.name("ingest_blocks_per_s").value(Math.round(r.ingestBlocksPerSecond()));
            w.name("ingest_presized_blocks_per_s").value(Math.round(r.ingestPresizedBlocksPerSecond()));
            w.name("ingest_two_threads_blocks_per_s").value(Math.round(r.ingestTwoThreadsBlocksPerSecond()));
            w.name("ingest_two_threads_presized_blocks_per_s").value(Math.round(r.ingestTwoThreadsPresizedBlocksPerSecond()));
            w.name("probe_p50_us").value(round(r.probeP50Micros()));
            w.name("probe_p99_us").value(round(r.probeP99Micros()));
            w.name("bytes_per_entry").value(round(r.bytesPerEntry()));
            w.name("resident_entries").value(r.residentEntries());
            w.name("recovery_ms").value(round(r.recoveryMillis()));
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }
}
