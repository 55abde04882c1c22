package io.kvevents.internal.stream;

import io.kvevents.sdk.SourceSpec;
import io.kvevents.sdk.SourceStats;
import io.kvevents.sdk.StreamItem;
import io.kvevents.sdk.StreamOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.zeromq.ZContext;

/**
 * Several sources merged into one queue: each source's items stay in its own order; a slow
 * consumer blocks the source threads (and so, upstream, the publisher's high-water mark, whose
 * drops the sequencers then recover by replay).
 */
public final class MergedStream implements AutoCloseable {
    private static final int CAPACITY = 65_536;

    private final BlockingQueue<StreamItem> queue;
    /** Written by the thread that follows pods, read by the consumer. */
    private final List<SourceWorker> workers = new CopyOnWriteArrayList<>();
    private final Map<String, ZmqSource> byName = new ConcurrentHashMap<>();
    /** Each live source's way into the queue, shut when it is removed. */
    private final Map<String, Gate> gates = new ConcurrentHashMap<>();
    private final ZContext context;
    private volatile boolean closed;
    /** True for a stream whose sources come and go: it does not finish while open. */
    private volatile boolean open;

    private MergedStream(ZContext context) {
        this(context, CAPACITY);
    }

    private MergedStream(ZContext context, int capacity) {
        this.context = context;
        this.queue = new ArrayBlockingQueue<>(capacity);
    }

    /** Connects to live publishers. */
    public static MergedStream connect(List<SourceSpec> sources, StreamOptions options) {
        MergedStream s = new MergedStream(new ZContext(1));
        try {
            sources.forEach(spec -> s.add(spec, options));
        } catch (RuntimeException e) {
            s.close(); // the sources started before the bad one
            throw e;
        }
        return s;
    }

    /** A stream of live publishers that come and go ({@link #add}, {@link #remove}): it never finishes by itself. */
    public static MergedStream dynamic() {
        return dynamic(CAPACITY);
    }

    /** {@link #dynamic()} with a queue of {@code capacity} items (tests fill it). */
    static MergedStream dynamic(int capacity) {
        MergedStream s = new MergedStream(new ZContext(1), capacity);
        s.open = true;
        return s;
    }

    /** Items waiting for the consumer. */
    int queued() {
        return queue.size();
    }

    /** Starts reading one more publisher. */
    public synchronized void add(SourceSpec spec, StreamOptions options) {
        if (closed) {
            return;
        }
        if (byName.containsKey(spec.name())) {
            throw new IllegalArgumentException("two sources are named " + spec.name() + ": give each its own name");
        }
        Gate gate = new Gate();
        ZmqSource source = new ZmqSource(context, spec, options, item -> emit(gate, item));
        gates.put(spec.name(), gate);
        byName.put(spec.name(), source);
        workers.add(source);
        source.start();
    }

    /** Stops reading a publisher (and forgets its counters), after telling the consumer why with {@code notice}. */
    public synchronized void remove(String name, StreamItem notice) {
        ZmqSource source = byName.remove(name);
        if (source != null) {
            gates.remove(name).shut(); // nothing of it is queued from here on, so none comes after the notice
            source.stop();
            workers.remove(source); // a pod that comes back under its name starts afresh
            emit(notice);
        }
    }

    /** Names of the publishers being read. */
    public java.util.Set<String> sourceNames() {
        return java.util.Set.copyOf(byName.keySet());
    }

    /** Passes an item (a notice about the sources) to the consumer in line with the sources' items. */
    public void announce(StreamItem item) {
        emit(item);
    }

    /** Plays recordings back. */
    public static MergedStream replay(List<Path> recordings, StreamOptions options) {
        MergedStream s = new MergedStream(null);
        for (Path file : recordings) {
            s.workers.add(new RecordingPlayback(file, options, s::emit));
        }
        s.workers.forEach(SourceWorker::start);
        return s;
    }

    /**
     * A source's way into the queue. Each of its items is offered under the gate's lock, and {@link #shut} takes
     * that lock: once shut, nothing more of the source is queued, even from a thread that waited for room the whole
     * time {@link #remove} waited for it to stop.
     */
    private static final class Gate {
        private boolean shut;

        synchronized void shut() {
            shut = true;
        }
    }

    /** Queues a source's item unless its gate is shut: one try of up to 100 ms at a time under the lock. */
    private void emit(Gate gate, StreamItem item) {
        try {
            while (!closed) {
                synchronized (gate) {
                    if (gate.shut || queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
                        return;
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void emit(StreamItem item) {
        try {
            while (!closed && !queue.offer(item, 100, TimeUnit.MILLISECONDS)) {
                // the consumer is behind: wait for room (or for close)
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The next item, or null when none arrives within the timeout or the stream is finished. */
    public StreamItem poll(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            while (true) {
                boolean wasDone = allDone();
                long left = deadline - System.nanoTime();
                StreamItem item = queue.poll(Math.max(0, Math.min(left, TimeUnit.MILLISECONDS.toNanos(50))),
                        TimeUnit.NANOSECONDS);
                if (item != null) {
                    return item;
                }
                if (wasDone || left <= 0) {
                    return null;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    /** True when every source has ended and every item was taken. */
    public boolean finished() {
        return allDone() && queue.isEmpty();
    }

    private boolean allDone() {
        if (open) {
            return false;
        }
        for (SourceWorker w : workers) {
            if (!w.done()) {
                return false;
            }
        }
        return true;
    }

    /** The counters of every source known so far. */
    public List<SourceStats> stats() {
        List<SourceStats> out = new ArrayList<>();
        workers.forEach(w -> out.addAll(w.stats()));
        return out;
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true; // first, so that an add or remove waiting for queue room gives up and lets go of the lock
        open = false;
        synchronized (this) {
            workers.forEach(SourceWorker::stop);
            if (context != null) {
                context.close();
            }
        }
    }
}
