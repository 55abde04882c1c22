package io.kvevents.sdk;

import io.kvevents.internal.index.IndexCore;
import java.time.Duration;
import java.util.function.Consumer;

/**
 * The gateway's prefix index, rebuilt from the pods' own event streams: which pod holds which full
 * blocks of which prompt. Feed it every item of an {@link EventStream} (restarts clear that pod) and
 * probe it with token ids.
 *
 * <pre>{@code
 * var index = PrefixIndex.create();
 * try (var s = EventStream.replay(Path.of("examples/recordings/two-pods-gap-restart.jsonl"))) {
 *     s.items().forEach(index::apply);
 * }
 * index.probe(ProbeRequest.of(tokens))
 * }</pre>
 *
 * <p>Keys are the index's own: a chain hash over each full block's tokens and extra keys, seeded by
 * the LoRA context, so pods are compared by content, never by their salted engine hashes. The model is a
 * property of each source (declared, else named by its first live topic {@code kv@<pod>@<model>}; a
 * replayed batch without a topic never names it), and a probe reads the sources of its model.
 */
public final class PrefixIndex implements AutoCloseable {
    /** The model of sources whose topic does not name one ({@code kv@<pod>@<model>}). */
    public static final String DEFAULT_MODEL = "default";

    private final IndexCore core;

    private PrefixIndex(IndexCore core) {
        this.core = core;
    }

    /** An empty index. */
    public static PrefixIndex create() {
        return new PrefixIndex(new IndexCore(DEFAULT_MODEL));
    }

    /**
     * An empty index sized for a fleet of {@code sources} engines of {@code blocksPerSource} KV blocks each (vLLM's
     * {@code num_gpu_blocks}): filling it rehashes nothing, where a growing index spends about half of a new block's
     * instructions on its tables' growth (docs/performance.md). More sources or blocks still fit; it grows then.
     */
    public static PrefixIndex forFleet(String model, int sources, int blocksPerSource) {
        requireFleet(sources, blocksPerSource);
        return new PrefixIndex(new IndexCore(model, sources, blocksPerSource));
    }

    private static void requireFleet(int sources, int blocksPerSource) {
        if (sources < 0 || blocksPerSource < 0) {
            throw new IllegalArgumentException("a fleet of " + sources + " sources of " + blocksPerSource + " blocks: both"
                    + " must be 0 or more");
        }
    }

    /**
     * An empty index of {@code model} (as {@link #forModel}) that ingests on two threads: the caller's thread resolves
     * each block's keys and engine hash, a second one (a daemon, stopped once the index is unreachable) records which
     * sources hold which keys. On two cores it ingests about 1.5 times as fast as {@link #create()}
     * (docs/performance.md); a probe or {@link #stats()} first waits for the second thread to catch up, so it sees
     * every batch applied before it. {@link #close()} stops the second thread at once, and frees its tables at the next
     * collection (try-with-resources); an index dropped unclosed has its thread stopped after a collection finds it.
     * Should that thread fail (out of memory), the next probe or {@code stats()} says so in an unchecked exception.
     */
    public static PrefixIndex pipelined(String model) {
        return new PrefixIndex(new IndexCore(model, 0, 0, true));
    }

    /**
     * A {@link #pipelined(String)} index sized as {@link #forFleet} sizes one: two threads, and nothing rehashed while
     * the fleet's caches fill.
     */
    public static PrefixIndex pipelined(String model, int sources, int blocksPerSource) {
        requireFleet(sources, blocksPerSource);
        return new PrefixIndex(new IndexCore(model, sources, blocksPerSource, true));
    }

    /** An empty index whose sources belong to {@code model} unless declared or named otherwise by their topic. */
    public static PrefixIndex forModel(String model) {
        return new PrefixIndex(new IndexCore(model));
    }

    /**
     * Applies a stream item: batches are indexed, a publisher restart clears that source, a connection
     * makes the source known (so probes list it), a source gone (its pod deleted) is forgotten, the rest
     * is ignored.
     */
    public synchronized void apply(StreamItem item) {
        if (item instanceof ReceivedBatch b) {
            core.apply(b.source(), b.message().topic(), b.batch());
        } else if (item instanceof StreamNotice n && n.kind() == StreamNotice.Kind.RESTART) {
            core.clearSource(n.source());
        } else if (item instanceof StreamNotice n && n.kind() == StreamNotice.Kind.CONNECTED) {
            core.addSource(n.source()); // listed in probes even before its first block
        } else if (item instanceof StreamNotice n && n.kind() == StreamNotice.Kind.GONE) {
            core.removeSource(n.source()); // its pod is gone: nothing it held can be hit
        }
    }

    /** Says which model a source serves (its Deployment's, or {@code --endpoint …,model=NAME}): topics no longer change it. */
    public synchronized void declareModel(String source, String model) {
        core.declareModel(source, model);
    }

    /** Declares the model of every spec that names one. */
    public void declareModels(java.util.Collection<SourceSpec> specs) {
        specs.stream().filter(s -> s.model() != null).forEach(s -> declareModel(s.name(), s.model()));
    }

    /** Applies one batch of a source (in that source's sequence order). */
    public synchronized void apply(String source, String topic, EventBatch batch) {
        core.apply(source, topic, batch);
    }

    /** How much longer than {@code settle} {@link #follow} waits for replays still under way. */
    private static final Duration REPLAY_GRACE = Duration.ofSeconds(10);

    /**
     * Applies a stream's items until it finishes (recordings) or, for live sources, until {@code settle}
     * has passed and no replay is still under way (for at most 10 s more: the history is what a probe is for);
     * every item is also handed to {@code observer} (to show notices).
     */
    public PrefixIndex follow(EventStream stream, Duration settle, Consumer<StreamItem> observer) {
        long start = System.nanoTime();
        long deadline = start + settle.toNanos();
        long grace = deadline + REPLAY_GRACE.toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                // not replays requested against answered: a cut answer's end marker never comes
                boolean replaying = stream.stats().stream().anyMatch(SourceStats::replaying);
                if (!replaying || System.nanoTime() >= grace) {
                    // what the sources handed on before they stopped replaying is applied too (for at most half a
                    // second: a busy live stream never leaves the queue empty)
                    long drainUntil = System.nanoTime() + 500_000_000L;
                    for (StreamItem item; System.nanoTime() < drainUntil && (item = stream.poll(Duration.ZERO)) != null; ) {
                        apply(item);
                        observer.accept(item);
                    }
                    return this;
                }
                deadline = Math.min(grace, System.nanoTime() + 100_000_000L);
                continue;
            }
            StreamItem item = stream.poll(Duration.ofNanos(Math.min(left, 100_000_000L)));
            if (item != null) {
                apply(item);
                observer.accept(item);
            } else if (stream.finished()) {
                return this;
            }
        }
    }

    /** Forgets a source whose pod is gone. */
    public synchronized void removeSource(String source) {
        core.removeSource(source);
    }

    /**
     * Where a prompt is cached.
     *
     * @throws IllegalArgumentException when the model is ambiguous or absent (the message names the choices)
     */
    public synchronized ProbeResult probe(ProbeRequest request) {
        return core.probe(request);
    }

    /** Where a prompt of the index's only model is cached. */
    public ProbeResult probe(int... tokens) {
        return probe(ProbeRequest.of(tokens));
    }

    /** What the index holds. */
    public synchronized IndexStats stats() {
        return core.stats();
    }

    /**
     * Stops a {@link #pipelined(String)} index's second thread (a sized one's too); a probe of it then throws. Nothing
     * for any other index, which holds no thread and stays usable.
     */
    @Override
    public synchronized void close() {
        core.close();
    }

    @Override
    public synchronized String toString() {
        return core.closed() ? "PrefixIndex[closed]" : "PrefixIndex[" + stats() + "]";
    }
}
