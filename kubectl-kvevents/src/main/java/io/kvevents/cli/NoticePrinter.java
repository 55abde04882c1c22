package io.kvevents.cli;

import io.kvevents.sdk.MalformedMessage;
import io.kvevents.sdk.ReceivedBatch;
import io.kvevents.sdk.SourceSpec;
import io.kvevents.sdk.StreamItem;
import io.kvevents.sdk.StreamNotice;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Announces what happens to the streams on stderr, one line each: replays and connections as they
 * are, lost batches, restarts and malformed messages as warnings, unreadable sources as errors.
 */
final class NoticePrinter {
    /** How long a live source may stay unconnected before the user is told. */
    static final Duration CONNECT_WARNING = Duration.ofSeconds(5);

    private final PrintWriter err;
    private final boolean verbose;
    private final Set<String> failed = new HashSet<>();
    /** Sources that delivered a batch. */
    private final Set<String> read = new HashSet<>();
    /** Pods whose port-forward was refused before they delivered any batch, and why. */
    private final Map<String, String> unforwarded = new LinkedHashMap<>();
    /** Live sources not connected yet, and where they are. */
    private final Map<String, String> unconnected = new LinkedHashMap<>();
    /** Pods that left (GONE) and have not come back: what their closing tunnels still tell does not count. */
    private final Set<String> gone = new HashSet<>();
    private final long started = System.nanoTime();
    private boolean warnedUnconnected;

    NoticePrinter(PrintWriter err, boolean verbose, List<SourceSpec> liveSources) {
        this.err = err;
        this.verbose = verbose;
        liveSources.forEach(s -> unconnected.put(s.name(), s.liveEndpoint()));
    }

    /** Prints a notice or malformed message; a batch only tells that its source can be read. */
    void print(StreamItem item) {
        if (item instanceof ReceivedBatch batch) {
            read.add(batch.source());
            unforwarded.remove(batch.source());
        } else if (item instanceof MalformedMessage bad) {
            err.println("warning: " + bad.source() + ": " + bad.reason() + " (skipped)");
        } else if (item instanceof StreamNotice n) {
            switch (n.kind()) {
                case FAILED -> {
                    failed.add(n.source());
                    err.println("error: " + n.message());
                }
                case ADDED -> {
                    gone.remove(n.source());
                    unconnected.put(n.source(), "pod " + n.source() + " (through port-forward)");
                    err.println(n.source() + ": " + n.message());
                }
                case GONE -> {
                    gone.add(n.source());
                    unconnected.remove(n.source());
                    unforwarded.remove(n.source()); // what it held no longer counts, nor that it could not be read
                    err.println("warning: " + n.source() + ": " + n.message());
                }
                case CONNECTED -> {
                    unconnected.remove(n.source());
                    err.println(n.source() + ": " + n.message());
                }
                case FORWARD_FAILED -> {
                    if (gone.contains(n.source())) {
                        return; // its tunnels closing after the pod left: nothing to tell
                    }
                    // ZeroMQ calls a pod connected once it reaches our local end of the port-forward
                    if (!read.contains(n.source())) {
                        unforwarded.put(n.source(), n.message());
                    }
                    err.println("warning: " + n.source() + ": " + n.message());
                }
                case DISCONNECTED, UNRECOVERABLE_GAP, RESTART -> err.println("warning: " + n.source() + ": " + n.message());
                case FINISHED -> {
                    if (verbose) {
                        err.println(n.source() + ": " + n.message());
                    }
                }
                default -> err.println(n.source() + ": " + n.message());
            }
        }
    }

    /** Once, after a while: live sources that have not connected yet. */
    void checkConnections() {
        if (!warnedUnconnected && !unconnected.isEmpty() && System.nanoTime() - started > CONNECT_WARNING.toNanos()) {
            warnedUnconnected = true;
            unconnected.forEach((name, where) -> err.println("warning: " + name + ": not connected to "
                    + where + " after " + CONNECT_WARNING.toSeconds() + "s; still trying"));
        }
    }

    /**
     * At the end of a run that got everything it asked for from the sources it read ({@code tail --max-events}):
     * sources not connected by then are only a warning line each, since nothing was missing; true when no source
     * failed outright.
     */
    boolean noneFailed() {
        unconnected.forEach((name, where) -> err.println("warning: " + name + ": not connected to " + where
                + " yet; the events came from the other sources"));
        unforwarded.forEach((pod, why) -> err.println("warning: " + pod + ": not read: " + why));
        return failed.isEmpty();
    }

    /** At the end: one error line per source that never connected; true when every source could be read. */
    boolean allRead() {
        unconnected.forEach((name, where) -> err.println("error: " + name + ": could not connect to "
                + where + " (is the engine running with --kv-events-config and the port reachable?)"));
        unforwarded.forEach((pod, why) -> err.println("error: " + pod + ": never read: " + why));
        return failed.isEmpty() && unconnected.isEmpty() && unforwarded.isEmpty();
    }
}
