package io.kvevents.internal.index;

import java.lang.ref.Cleaner;
import java.util.concurrent.locks.LockSupport;

/**
 * Residency changes applied on a thread of their own: the index's thread resolves engine hashes and chain keys and
 * hands each (key, source, tier, add or remove) to this lane, whose thread applies them to the residency in order.
 * The two halves of a stored block's apply then run on two cores (docs/performance.md, the nearest designs).
 *
 * <p>The hand-over is a ring with one writer and one reader: the writer's entries become visible when it publishes
 * (every {@value #PUBLISH_EVERY} entries and at the end of each batch), the reader reports how far it has applied.
 * Reads of the residency (a probe, stats) first {@link #settle} the lane: they see every change handed over before
 * them, and the lane's thread is idle while they read. Not thread-safe on the writer's side: one owner at a time.
 *
 * <p>The thread holds the ring and the changes' target, never the lane: when the lane is no longer reachable its
 * cleaner stops the thread.
 */
final class ResidencyLane {
    /** Entries the ring holds (a power of two): 128 KB of (key, code) pairs, within a core's L2. */
    static final int CAPACITY = 1 << 13;
    /** Entries the writer adds between two publications. */
    static final int PUBLISH_EVERY = 64;
    /** Entries whose residency slots the reader reads one window before it applies them (see IndexCore's WINDOW). */
    private static final int WINDOW = 16;
    /** Idle polls of the ring before the reader parks until the writer publishes. */
    private static final int SPINS = 2_000;
    private static final Cleaner CLEANER = Cleaner.create();

    /**
     * The lane can apply nothing more: its thread failed, or it was closed. Not an {@link IllegalStateException}, which
     * a probe throws for an index that holds nothing yet: a caller must not take this one for that.
     */
    static final class Stopped extends RuntimeException {
        Stopped(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** What the lane's entries are applied to: the residency, or in a test a target that fails. */
    interface Target {
        void add(long key, int source, boolean gpu);

        void remove(long key, int source, boolean gpu);

        /** Reads the slot a change of {@code key} will use, so that its cache miss overlaps others; any value. */
        long touch(long key, int source, boolean gpu);
    }

    private final Reader reader;
    private final Cleaner.Cleanable cleanable;
    /** The writer's count of entries written, published or not. */
    private long written;
    private long published;
    /** The reader's progress as the writer last read it. */
    private long applied;

    ResidencyLane(Target target, String name) {
        this.reader = new Reader(target);
        Thread thread = new Thread(reader, name);
        thread.setDaemon(true);
        reader.thread = thread;
        thread.start();
        this.cleanable = CLEANER.register(this, reader::close);
    }

    void add(long key, int source, boolean gpu) {
        put(key, (long) source << 2 | (gpu ? 2 : 0) | 1);
    }

    void remove(long key, int source, boolean gpu) {
        put(key, (long) source << 2 | (gpu ? 2 : 0));
    }

    private void put(long key, long code) {
        if (written - applied == CAPACITY) {
            waitFor(written - CAPACITY + 1);
        }
        int j = (int) (written & (CAPACITY - 1)) << 1;
        reader.ring[j] = key;
        reader.ring[j + 1] = code;
        if ((++written & (PUBLISH_EVERY - 1)) == 0) {
            publish();
        }
    }

    /** Makes every entry written so far visible to the reader. */
    void publish() {
        if (reader.closed) {
            throw new Stopped("this index was closed: build a new one", null);
        }
        if (published != written) {
            published = written;
            reader.published = written;
            if (reader.parked) {
                LockSupport.unpark(reader.thread);
            }
        }
    }

    /** Returns once every change handed over has been applied: the target may then be read on this thread. */
    void settle() {
        waitFor(written);
    }

    private void waitFor(long count) {
        publish();
        for (int spins = 0; (applied = reader.applied) < count; spins++) {
            Throwable failure = reader.failure;
            if (failure != null) {
                throw new Stopped("the index's residency thread stopped (" + failure
                        + "): this index can no longer be trusted; build a new one", failure);
            }
            if (reader.closed) {
                throw new Stopped("this index was closed: build a new one", null);
            }
            if (spins < SPINS) {
                Thread.onSpinWait();
            } else {
                Thread.yield(); // the reader may need this core
            }
        }
    }

    /** Stops the lane's thread; what was not applied is lost, and the next wait for it throws {@link Stopped}. */
    void close() {
        cleanable.clean();
    }

    /** True once {@link #close} (or the cleaner) stopped the lane. */
    boolean closed() {
        return reader.closed;
    }

    /** The lane's thread: applies the ring's entries in order. Holds no reference to the lane. */
    private static final class Reader implements Runnable {
        final Target target;
        final long[] ring = new long[2 * CAPACITY];
        Thread thread;
        volatile long published;
        volatile long applied;
        volatile boolean parked;
        volatile boolean closed;
        volatile Throwable failure;
        /** What the touches read, kept so that they are not optimized away. */
        long touched;

        Reader(Target target) {
            this.target = target;
        }

        @Override
        public void run() {
            try {
                long done = 0;
                while (!closed) {
                    long end = published;
                    if (end == done) {
                        idle(done);
                        continue;
                    }
                    touched += touch(done, Math.min(end, done + WINDOW));
                    for (long from = done; from < end; from += WINDOW) {
                        long to = Math.min(end, from + WINDOW);
                        touched += touch(to, Math.min(end, to + WINDOW));
                        for (long e = from; e < to; e++) {
                            apply(e);
                        }
                        applied = to;
                    }
                    done = end;
                }
            } catch (Throwable e) {
                failure = e;
            }
        }

        /** Waits for the writer: polls a while (it publishes every few microseconds while it ingests), then parks. */
        private void idle(long done) {
            for (int i = 0; i < SPINS; i++) {
                if (published != done || closed) {
                    return;
                }
                Thread.onSpinWait();
            }
            parked = true;
            // the writer sets published before it reads parked, and this reads published after setting parked:
            // one of the two sees the other, so a publication never goes unnoticed
            if (published == done && !closed) {
                LockSupport.park(this);
            }
            parked = false;
        }

        private long touch(long from, long to) {
            long t = 0;
            for (long e = from; e < to; e++) {
                int j = (int) (e & (CAPACITY - 1)) << 1;
                long code = ring[j + 1];
                t += target.touch(ring[j], (int) (code >>> 2), (code & 2) != 0);
            }
            return t;
        }

        private void apply(long e) {
            int j = (int) (e & (CAPACITY - 1)) << 1;
            long key = ring[j];
            long code = ring[j + 1];
            if ((code & 1) != 0) {
                target.add(key, (int) (code >>> 2), (code & 2) != 0);
            } else {
                target.remove(key, (int) (code >>> 2), (code & 2) != 0);
            }
        }

        void close() {
            closed = true;
            LockSupport.unpark(thread);
        }
    }
}
