package io.kvevents.cli;

import com.google.gson.GsonBuilder;
import io.kvevents.sdk.EventStream;
import io.kvevents.sdk.IndexStats;
import io.kvevents.sdk.PrefixIndex;
import io.kvevents.sdk.SourceStats;
import io.kvevents.sdk.StreamItem;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.InfoCmp.Capability;
import org.jline.utils.NonBlockingReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents top [MODEL|POD…]}: a live per-pod view of the event streams. */
@Command(name = TopCommand.NAME,
        mixinStandardHelpOptions = true,
        header = TopCommand.HEADER,
        description = "Show, per pod (each data-parallel rank its own row), what its event stream does: events a second,"
            + " blocks stored and removed, the event lag, gaps, lost batches, publisher restarts, the blocks it holds"
            + " resident (replayed from its history first) and the age of its last event. Full-screen in a terminal"
            + " (q or Ctrl-C quits); rows with the time in front, every --interval, when the output is not a terminal;"
            + " --once -o json prints one look for scripts.",
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true,
        footerHeading = "%nExamples:%n",
        footer = {"  # a model's pods, through port-forward",
            "  kubectl kvevents top llama-3-8b -n ml",
            "",
            "  # one look, for a script",
            "  kubectl kvevents top llama-3-8b -n ml --once -o json",
            "",
            "  # a publisher without Kubernetes, and Prometheus metrics meanwhile",
            "  kubectl kvevents top --endpoint pod-a=tcp://10.0.0.7:5557,replay=tcp://10.0.0.7:5558 --metrics-addr :9090"})
final class TopCommand implements Callable<Integer> {
    static final String NAME = "top";
    static final String HEADER = "Show a live per-pod view: events/s, stored/removed, lag, gaps, restarts, resident blocks.";

    /** Output formats. */
    enum Format { table, json }

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss");

    @Spec
    CommandSpec spec;

    @Mixin
    SourceOptions sources;

    @Option(names = "--interval", paramLabel = "D", defaultValue = "1s", converter = PositiveDurationConverter.class,
            description = "How often the view is drawn (default: ${DEFAULT-VALUE}).")
    Duration interval;

    @Option(names = "--once", description = "Look for one --interval (after the history is replayed), print, exit.")
    boolean once;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "Output format: table or json (a JSON array of the rows; a line of it per look without --once).")
    Format format;

    @Option(names = "--timeout", paramLabel = "D", converter = PositiveDurationConverter.class,
            description = "Stop after this long (default: until q or Ctrl-C).")
    Duration timeout;

    @Option(names = "--metrics-addr", paramLabel = "HOST:PORT",
            description = "Serve Prometheus metrics of the streams and the index on http://HOST:PORT/metrics meanwhile.")
    String metricsAddr;

    /** One row of the view. */
    record Row(String source, double eventsPerSecond, long stored, long removed, Long lagMillis, long gaps, long lost,
            long restarts, long resident, String lastEvent) {
    }

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        boolean fullScreen = !once && format == Format.table && TailCommand.terminal()
                && !"dumb".equals(System.getenv("TERM"));
        long stopAt = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
        // notices on stderr as tail prints them; behind the full screen only the errors are kept, told at the end
        ErrorLines behindScreen = new ErrorLines();
        NoticePrinter notices = new NoticePrinter(fullScreen ? new PrintWriter(behindScreen, true)
                : spec.commandLine().getErr(), KvEventsCommand.verbose(spec), sources.endpoints);
        int code = look(out, fullScreen, stopAt, notices);
        boolean allRead = notices.allRead();
        behindScreen.lines.forEach(spec.commandLine().getErr()::println);
        spec.commandLine().getErr().flush();
        return code != ExitCodes.OK || allRead ? code : ExitCodes.FAILURE;
    }

    /** Draws the view until the end; a source that fails or never connects is told through {@code notices}. */
    private int look(PrintWriter out, boolean fullScreen, long stopAt, NoticePrinter notices) throws IOException {
        try (PrefixIndex index = PrefixIndex.pipelined(PrefixIndex.DEFAULT_MODEL); // closed last: metrics read it
                EventStream stream = sources.open("watch");
                MetricsServer metrics = metricsAddr == null ? null : MetricsServer.start(metricsAddr, stream::stats, index::stats);
                Terminal terminal = fullScreen ? TerminalBuilder.builder().system(true).build() : null) {
            Map<String, Long> before = new HashMap<>();
            long last = System.nanoTime();
            if (once) {
                // the history first (replayed), then one interval measured from there: events/s is of live traffic
                index.follow(stream, interval, item -> {
                    notices.print(item);
                    notices.checkConnections();
                });
                rows(stream.stats(), index.stats(), before, interval);
                long from = System.nanoTime();
                long until = from + interval.toNanos();
                while (System.nanoTime() < until && !stream.finished()) {
                    StreamItem item = stream.poll(Duration.ofMillis(50));
                    if (item != null) {
                        index.apply(item);
                        notices.print(item);
                    }
                }
                print(rows(stream.stats(), index.stats(), before, Duration.ofNanos(System.nanoTime() - from)), out);
                return ExitCodes.OK;
            }
            Screen screen = terminal == null ? null : new Screen(terminal);
            boolean headers = true;
            try {
                while (System.nanoTime() < stopAt) {
                    long next = last + interval.toNanos();
                    while (System.nanoTime() < Math.min(next, stopAt)) {
                        StreamItem item = stream.poll(Duration.ofMillis(50));
                        if (item != null) {
                            index.apply(item);
                            notices.print(item);
                        }
                        notices.checkConnections();
                        if (screen != null && screen.quitPressed()) {
                            return ExitCodes.OK;
                        }
                        if (item == null && stream.finished()) {
                            break;
                        }
                    }
                    long now = System.nanoTime();
                    List<Row> rows = rows(stream.stats(), index.stats(), before, Duration.ofNanos(now - last));
                    last = now;
                    if (screen != null) {
                        screen.draw(rows, stream.toString());
                    } else if (format == Format.json) {
                        out.println(new GsonBuilder().disableHtmlEscaping().serializeNulls().create().toJson(rows));
                        out.flush();
                    } else {
                        lines(rows, out, headers);
                        headers = false;
                    }
                    if (stream.finished()) {
                        break; // recordings end; live sources do not
                    }
                }
            } finally {
                if (screen != null) {
                    screen.close();
                }
            }
        }
        return ExitCodes.OK;
    }

    /** A writer that keeps the {@code error: } lines written to it and drops the rest (a session can run for days). */
    private static final class ErrorLines extends java.io.Writer {
        final List<String> lines = new ArrayList<>();
        private final StringBuilder line = new StringBuilder();

        @Override
        public synchronized void write(char[] text, int off, int len) {
            for (int i = off; i < off + len; i++) {
                if (text[i] == '\n') {
                    if (line.toString().startsWith("error: ")) {
                        lines.add(line.toString());
                    }
                    line.setLength(0);
                } else if (line.length() < 4096) {
                    line.append(text[i]);
                }
            }
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    }

    /** The rows, events a second from the counts of the previous look ({@code before}, updated). */
    static List<Row> rows(List<SourceStats> stats, IndexStats index, Map<String, Long> before, Duration since) {
        Map<String, Long> resident = new HashMap<>();
        for (IndexStats.SourceBlocks b : index.sources()) {
            resident.merge(b.source(), b.gpuBlocks() + b.offloadBlocks(), Long::sum);
        }
        List<Row> rows = new ArrayList<>();
        for (SourceStats s : stats) {
            long events = s.events();
            long previous = before.getOrDefault(s.source(), 0L);
            before.put(s.source(), events);
            double seconds = Math.max(1e-3, since.toNanos() / 1e9);
            rows.add(new Row(s.source(), Math.round((events - previous) / seconds * 10) / 10.0, s.stored(), s.removed(),
                    s.delay() == null ? null : s.delay().toMillis(), s.gaps(), s.lostBatches(), s.restarts(),
                    resident.getOrDefault(s.source(), 0L), s.lag() == null ? "-" : s.lagText() + " ago"));
        }
        return rows;
    }

    private static Table table(boolean time) {
        List<String> h = new ArrayList<>(List.of("SOURCE", "EVENTS/S", "STORED", "REMOVED", "LAG", "GAPS", "LOST", "RESTARTS",
                "RESIDENT", "LAST-EVENT"));
        if (time) {
            h.add(0, "TIME");
        }
        return new Table(h.toArray(String[]::new));
    }

    private static List<Object> cells(Row r) {
        return new ArrayList<>(List.of(r.source(), r.eventsPerSecond(), r.stored(), r.removed(),
                r.lagMillis() == null ? "-" : r.lagMillis() + "ms", r.gaps(), r.lost(), r.restarts(), r.resident(), r.lastEvent()));
    }

    private void print(List<Row> rows, PrintWriter out) {
        if (format == Format.json) {
            out.println(KubectlJson.pretty().serializeNulls().create().toJson(rows));
        } else {
            Table t = table(false);
            rows.forEach(r -> t.row(cells(r).toArray()));
            t.print(out);
        }
        out.flush();
    }

    /** Plain lines: the time in front of each row, the header once (a log, a pipe, {@code watch}). */
    private static void lines(List<Row> rows, PrintWriter out, boolean headers) {
        Table t = table(true);
        String now = LocalTime.now().format(TIME);
        for (Row r : rows) {
            List<Object> c = cells(r);
            c.add(0, now);
            t.row(c.toArray());
        }
        StringWriter text = new StringWriter();
        t.print(new PrintWriter(text), true);
        List<String> lines = text.toString().lines().toList();
        (headers ? lines : lines.subList(1, lines.size())).forEach(out::println);
        out.flush();
    }

    /** The full-screen view: the terminal's alternate screen, redrawn at each look; q quits. */
    private static final class Screen implements AutoCloseable {
        private final Terminal terminal;
        private final NonBlockingReader keys;
        private final org.jline.terminal.Attributes saved;
        /** Set by Ctrl-C: raw mode keeps the terminal's signals, so it arrives as SIGINT, not as a key. */
        private volatile boolean interrupted;

        Screen(Terminal terminal) {
            this.terminal = terminal;
            terminal.handle(Terminal.Signal.INT, signal -> interrupted = true);
            this.saved = terminal.enterRawMode();
            this.keys = terminal.reader();
            terminal.puts(Capability.enter_ca_mode);
            terminal.puts(Capability.cursor_invisible);
            terminal.flush();
        }

        boolean quitPressed() {
            if (interrupted) {
                return true;
            }
            try {
                int c = keys.read(1);
                return c == 'q' || c == 'Q';
            } catch (IOException e) {
                return false;
            }
        }

        void draw(List<Row> rows, String what) {
            terminal.puts(Capability.clear_screen);
            PrintWriter w = terminal.writer();
            int width = Math.max(40, terminal.getWidth());
            String title = "kubectl kvevents top — " + what + " — " + LocalTime.now().format(TIME) + " — q quits";
            w.print(title.length() > width ? title.substring(0, width) : title);
            w.print("\r\n\r\n");
            Table t = table(false);
            rows.forEach(r -> t.row(cells(r).toArray()));
            StringWriter text = new StringWriter();
            t.print(new PrintWriter(text), true);
            int height = Math.max(3, terminal.getHeight() - 3);
            text.toString().lines().limit(height).forEach(l -> {
                w.print(l.length() > width ? l.substring(0, width) : l);
                w.print("\r\n");
            });
            w.flush();
        }

        @Override
        public void close() {
            terminal.puts(Capability.cursor_visible);
            terminal.puts(Capability.exit_ca_mode);
            terminal.setAttributes(saved);
            terminal.flush();
        }
    }
}
