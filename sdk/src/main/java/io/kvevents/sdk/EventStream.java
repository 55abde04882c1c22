package io.kvevents.sdk;

import io.kvevents.internal.stream.MergedStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * KV events of several sources merged into one stream, each source in sequence order: history from
 * the publishers' replay buffers first, then live; gaps replayed, restarts announced.
 *
 * <pre>{@code
 * try (var s = EventStream.connect(SourceSpec.parse("pod-a=tcp://10.0.0.7:5557,replay=tcp://10.0.0.7:5558"))) {
 *     s.items().limit(10).forEach(System.out::println);
 * }
 * }</pre>
 */
public final class EventStream implements AutoCloseable {
    private final MergedStream merged;
    private final String description;
    /** What keeps the sources fed (a pod follower and its port-forwards), closed with the stream. */
    private final AutoCloseable feeder;

    private EventStream(MergedStream merged, String description) {
        this(merged, description, null);
    }

    EventStream(MergedStream merged, String description, AutoCloseable feeder) {
        this.merged = merged;
        this.description = description;
        this.feeder = feeder;
    }

    /**
     * Follows the ready pods of model Deployments (or pods by name) through port-forward: pods that
     * become ready join, pods that go away leave (a {@link StreamNotice.Kind#GONE} notice).
     *
     * @see ModelPods
     */
    public static EventStream pods(KubeContext context, String... targets) {
        return ModelPods.find(context, targets).events(StreamOptions.DEFAULT);
    }

    /** Connects to live publishers with the default options. */
    public static EventStream connect(SourceSpec... sources) {
        return connect(List.of(sources), StreamOptions.DEFAULT);
    }

    /** Connects to live publishers. */
    public static EventStream connect(List<SourceSpec> sources, StreamOptions options) {
        if (sources.isEmpty()) {
            throw new IllegalArgumentException("no sources: give at least one SourceSpec");
        }
        return new EventStream(MergedStream.connect(List.copyOf(sources), options),
                sources.size() + (sources.size() == 1 ? " live source" : " live sources"));
    }

    /** Plays recordings (written by {@link Recording#writer}) back as if they were live. */
    public static EventStream replay(Path... recordings) {
        return replay(List.of(recordings), StreamOptions.DEFAULT);
    }

    /** Plays recordings back as if they were live, gaps and restarts included. */
    public static EventStream replay(List<Path> recordings, StreamOptions options) {
        if (recordings.isEmpty()) {
            throw new IllegalArgumentException("no recordings: give at least one file");
        }
        return new EventStream(MergedStream.replay(List.copyOf(recordings), options),
                recordings.size() + (recordings.size() == 1 ? " recording" : " recordings"));
    }

    /** The next item, or null if none arrives within {@code timeout} or the stream has {@link #finished()}. */
    public StreamItem poll(Duration timeout) {
        return merged.poll(timeout);
    }

    /** True when every source has ended (recordings played out, sources failed) and every item was taken. */
    public boolean finished() {
        return merged.finished();
    }

    /** Every item until the stream finishes (live sources never do: use {@code limit} or close the stream). */
    public Stream<StreamItem> items() {
        Iterator<StreamItem> it = new Iterator<>() {
            private StreamItem next;

            @Override
            public boolean hasNext() {
                while (next == null) {
                    next = merged.poll(Duration.ofMillis(200));
                    if (next == null && merged.finished()) {
                        return false;
                    }
                }
                return true;
            }

            @Override
            public StreamItem next() {
                if (!hasNext()) {
                    throw new NoSuchElementException("the stream has finished");
                }
                StreamItem item = next;
                next = null;
                return item;
            }
        };
        return StreamSupport.stream(Spliterators.spliteratorUnknownSize(it, Spliterator.ORDERED | Spliterator.NONNULL),
                false);
    }

    /** Names of the live sources read now (pods followed come and go). */
    List<String> sourceNames() {
        return merged.sourceNames().stream().sorted().toList();
    }

    /** Counters of every source seen so far. */
    public List<SourceStats> stats() {
        return merged.stats();
    }

    /** Stops every source and releases its sockets. */
    @Override
    public void close() {
        merged.close(); // first: a feeder blocked on a full queue lets go once the stream is closed
        if (feeder != null) {
            try {
                feeder.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing " + description + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public String toString() {
        return "EventStream[" + description + (finished() ? ", finished" : "") + "]";
    }
}
