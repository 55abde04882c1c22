package io.kvevents.cli;

import io.kvevents.sdk.AllBlocksCleared;
import io.kvevents.sdk.BlockRemoved;
import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.EventJson;
import io.kvevents.sdk.EventStream;
import io.kvevents.sdk.KvEvent;
import io.kvevents.sdk.MalformedMessage;
import io.kvevents.sdk.ReceivedBatch;
import io.kvevents.sdk.Recording;
import io.kvevents.sdk.SourceStats;
import io.kvevents.sdk.StreamItem;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents tail}: live events (or a recording) one line each, gaps and restarts on stderr. */
@Command(name = TailCommand.NAME,
        mixinStandardHelpOptions = true,
        header = TailCommand.HEADER,
        description = "Print KV-cache events: each publisher's replayed history first, then live. Gaps, replays and"
            + " restarts are announced on stderr; a recording (--from) plays back the same way.",
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true,
        footerHeading = "%nExamples:%n",
        footer = {"  # every event of a model's ready pods (and their data-parallel ranks), as JSON Lines",
            "  kubectl kvevents tail llama-3-8b -n ml -o json",
            "",
            "  # two publishers, no cluster needed",
            "  kubectl kvevents tail --endpoint pod-a=tcp://10.0.0.7:5557,replay=tcp://10.0.0.7:5558 --endpoint pod-b=tcp://10.0.0.8:5557",
            "",
            "  # a recording, with per-source counters at the end",
            "  kubectl kvevents tail --from rec.jsonl --stats"})
final class TailCommand implements Callable<Integer> {
    static final String NAME = "tail";
    static final String HEADER = "Print the KV-cache events the engines publish.";

    /** Event types for {@code --types}. */
    enum EventType { stored, removed, cleared, unknown }

    /** Output formats. */
    enum Format { text, json }

    @Spec
    CommandSpec spec;

    @Mixin
    SourceOptions sources;

    @Option(names = "--max-events", paramLabel = "N", converter = PositiveLongConverter.class,
            description = "Stop after N events.")
    Long maxEvents;

    @Option(names = "--timeout", paramLabel = "D", converter = PositiveDurationConverter.class,
            description = "Stop after this long (e.g. 30s, 5m).")
    Duration timeout;

    @Option(names = "--types", split = ",", paramLabel = "TYPE",
            description = "Only these event types: ${COMPLETION-CANDIDATES}.")
    Set<EventType> types = EnumSet.allOf(EventType.class);

    @Option(names = "--record", paramLabel = "FILE", description = "Also write every received message to FILE (JSON Lines).")
    Path record;

    /** When to colour the source names. */
    enum Colour { auto, always, never }

    /** Whether this run colours: set once {@link #call} starts. */
    private boolean colour;

    /**
     * Whether standard output is a terminal. Up to JDK 21 a Console exists only then; from JDK 22 one exists even
     * for a pipe, and {@code Console.isTerminal()} (JDK 22+) says (called reflectively: this code runs on JDK 17).
     */
    static boolean terminal() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            return (Boolean) java.io.Console.class.getMethod("isTerminal").invoke(console);
        } catch (ReflectiveOperationException before22) {
            return true;
        }
    }

    /** https://no-color.org: any non-empty NO_COLOR turns auto off; so do a dumb terminal and a pipe. */
    static boolean colour(Colour when, java.util.Map<String, String> env, boolean terminal) {
        return switch (when) {
            case always -> true;
            case never -> false;
            case auto -> terminal && (env.get("NO_COLOR") == null || env.get("NO_COLOR").isEmpty())
                    && !"dumb".equals(env.get("TERM"));
        };
    }

    @Option(names = "--color", paramLabel = "WHEN", defaultValue = "auto",
            description = "Colour each source's name: auto (a terminal, unless NO_COLOR is set), always or never.")
    Colour color;

    @Option(names = "--metrics-addr", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics of every source at http://HOST:PORT/metrics (docs/cli.md names them).")
    String metricsAddr;

    @Option(names = "--stats", description = "Print per-source counters on stderr at the end.")
    boolean stats;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "Output format: ${COMPLETION-CANDIDATES} (JSON Lines).")
    Format output;

    private volatile boolean interrupted;

    @Override
    public Integer call() {
        colour = colour(color, System.getenv(), terminal());
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        NoticePrinter notices = new NoticePrinter(err, KvEventsCommand.verbose(spec),
                sources.endpoints);
        long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        long printed = 0;
        CountDownLatch finished = new CountDownLatch(1);
        Thread onInterrupt = new Thread(() -> {
            interrupted = true;
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kvevents-tail-shutdown");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        try (EventStream stream = sources.open("tail");
                MetricsServer metrics = metricsAddr == null ? null : MetricsServer.start(metricsAddr, stream::stats, null);
                Recording.Writer recorder = record == null ? null : Recording.writer(record)) {
            while (!interrupted && (maxEvents == null || printed < maxEvents)) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    break;
                }
                notices.checkConnections();
                StreamItem item = stream.poll(Duration.ofNanos(Math.min(left, 200_000_000L)));
                if (item == null) {
                    out.flush();
                    if (recorder != null) {
                        recorder.flush();
                    }
                    if (stream.finished()) {
                        break;
                    }
                    continue;
                }
                printed += handle(item, out, notices, recorder, maxEvents == null ? Long.MAX_VALUE : maxEvents - printed);
            }
            out.flush();
            if (stats) {
                printStats(stream.stats(), err);
            }
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running and waits for the latch released above
            }
        }
        // each failure was printed as it happened; once --max-events came, a source still connecting missed nothing
        boolean satisfied = maxEvents != null && printed >= maxEvents;
        return (satisfied ? notices.noneFailed() : notices.allRead()) ? ExitCodes.OK : ExitCodes.FAILURE;
    }

    /** Prints one item; returns how many events it printed. */
    private long handle(StreamItem item, PrintWriter out, NoticePrinter notices, Recording.Writer recorder, long budget) {
        if (item instanceof ReceivedBatch batch) {
            notices.print(batch); // the source is read
            if (recorder != null) {
                recorder.write(batch.message());
            }
            long n = 0;
            for (KvEvent event : batch.events()) {
                if (n >= budget) {
                    break;
                }
                if (types.contains(typeOf(event))) {
                    if (output == Format.json) {
                        EventJson.write(out, batch.source(), batch.seq(), batch.batch(), event);
                        out.println();
                    } else {
                        out.println(EventText.line(batch, event, colour));
                    }
                    n++;
                }
            }
            return n;
        }
        out.flush(); // keep stderr notices in place among the events
        if (recorder != null && item instanceof MalformedMessage bad && bad.message() != null) {
            recorder.write(bad.message());
        }
        notices.print(item);
        return 0;
    }

    private static EventType typeOf(KvEvent e) {
        if (e instanceof BlockStored) {
            return EventType.stored;
        }
        if (e instanceof BlockRemoved) {
            return EventType.removed;
        }
        if (e instanceof AllBlocksCleared) {
            return EventType.cleared;
        }
        return EventType.unknown;
    }

    private static void printStats(List<SourceStats> all, PrintWriter err) {
        Table t = new Table("SOURCE", "BATCHES", "STORED", "REMOVED", "CLEARED", "UNKNOWN", "DECODE-ERRORS", "GAPS",
                "REPLAYS", "LOST", "RESTARTS", "LAST-SEQ", "LAG");
        for (SourceStats s : all) {
            t.row(s.source(), s.batches(), s.stored(), s.removed(), s.cleared(), s.unknown(), s.decodeErrors(), s.gaps(),
                    s.replays(), s.lostBatches(), s.restarts(), s.lastSeq(), s.lagText());
        }
        t.print(err);
    }
}
