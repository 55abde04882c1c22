package io.kvevents.bench;

import io.kvevents.sdk.BlockRemoved;
import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.EventBatch;
import io.kvevents.sdk.PrefixIndex;
import io.kvevents.sdk.ProbeRequest;
import io.kvevents.sdk.Wire;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.Random;

/**
 * The workload whose instructions {@code valgrind --tool=callgrind --separate-threads=yes} counts
 * (docs/performance.md, "Instruction counts"): {@code java ... InstructionCounts OP [N1 N2]} (1,000 and 3,000) builds an index, warms the
 * operation up through the method the measured threads run (20,000 batches or 2,000 probes take every path through
 * C2 first; run it with {@code -Xbatch}), then runs the operation N1, N2, N1 and N2 times, each on a thread of its
 * own that then waits for the end, so that no later thread takes its place in callgrind's count. All four run the same
 * compiled code in one process, so {@code (Ir(N2) - Ir(N1)) / (N2 - N1)} of two threads' counts is one operation's
 * instructions, thread start and end cancelled out, twice over. Two processes, one per N, compared compiled code that
 * the JIT had made differently: the store's count moved by 2× between two runs of the same build. Instructions,
 * unlike time, do not swing with this machine's neighbours.
 *
 * <p>OP: {@code decode} (a 32-block BlockStored batch), {@code store} (decode + apply of 32 new blocks, into tables
 * sized for them: growth is measured by {@code bench}, growing index against sized),
 * {@code remove} (decode + apply of a 32-block BlockRemoved), {@code probe} (a 2,048-block prompt).
 */
public final class InstructionCounts {
    static final int BLOCK = 16;
    static final int STEP = 32;
    static final int PODS = 16;
    static final int RESIDENT = 1_048_576;
    static final int WARMUP = 20_000;
    /** The measured threads' operations, in this order. */
    private static final int RUNS = 4;

    private InstructionCounts() {
    }

    public static void main(String[] args) throws InterruptedException {
        String op = args[0];
        int n1 = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        int n2 = args.length > 2 ? Integer.parseInt(args[2]) : 3_000;
        int[] runs = {n1, n2, n1, n2};
        int measured = 2 * (n1 + n2);
        if (op.equals("remove") && (WARMUP + measured) * STEP > RESIDENT) {
            throw new IllegalArgumentException("the removals would run out of resident blocks: at most "
                    + (RESIDENT / STEP - WARMUP) / 2 + " for N1 + N2");
        }
        Random random = new Random(1);
        // sized for everything the runs store: a table's growth would fall in one run's window and not the other's
        PrefixIndex index = PrefixIndex.forFleet(PrefixIndex.DEFAULT_MODEL, PODS,
                (RESIDENT + (WARMUP + measured) * STEP) / PODS);
        int[] prompt = null;
        long[] firstHash = new long[PODS];
        for (int pod = 0; pod < PODS; pod++) {
            long engine = random.nextLong();
            firstHash[pod] = engine;
            Long parent = null;
            for (int b = 0; b < RESIDENT / PODS; b += STEP) {
                long[] hashes = new long[STEP];
                for (int i = 0; i < STEP; i++) {
                    hashes[i] = engine++;
                }
                int[] tokens = random.ints(STEP * BLOCK, 0, 150_000).toArray();
                if (b % 2048 == 0) {
                    parent = null;
                }
                if (pod == 0 && b < 2048) {
                    prompt = prompt == null ? tokens : concat(prompt, tokens);
                }
                index.apply("pod-" + pod, "", new EventBatch(0, List.of(BlockStored.of(hashes, parent, tokens, BLOCK)), 0));
                parent = hashes[STEP - 1];
            }
        }
        // every batch the runs use, made before any of them runs
        byte[][] work = new byte[WARMUP + measured][];
        for (int i = 0; i < work.length; i++) {
            int pod = i % PODS;
            long[] hashes = new long[STEP];
            if (op.equals("remove")) {
                for (int k = 0; k < STEP; k++) {
                    hashes[k] = firstHash[pod] + (long) (i / PODS) * STEP + k;
                }
                work[i] = Wire.encode(new EventBatch(0, List.of(BlockRemoved.of(null, hashes)), 0));
            } else {
                long base = 1L << 62 | (long) i * STEP;
                for (int k = 0; k < STEP; k++) {
                    hashes[k] = base + k;
                }
                int[] tokens = random.ints(STEP * BLOCK, 0, 150_000).toArray();
                work[i] = Wire.encode(new EventBatch(0, List.of(BlockStored.of(hashes, null, tokens, BLOCK)), 0));
            }
        }
        Workload w = new Workload(op, index, work, ProbeRequest.of(prompt));
        // a probe's inner loops run 2,048 times a call: a tenth of the warm-up reaches the same compiled code
        int warmup = op.equals("probe") ? WARMUP / 10 : WARMUP;
        for (int from = 0; from < warmup; from += 100) {
            w.run(from, from + 100); // the measured threads' own method, compiled before they start
        }
        CountDownLatch end = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        int from = warmup;
        for (int run = 0; run < RUNS; run++) {
            int start = from;
            int n = runs[run];
            CountDownLatch done = new CountDownLatch(1);
            Thread t = new Thread(() -> {
                w.run(start, start + n);
                done.countDown();
                awaitQuietly(end); // alive till the end: a later thread would otherwise add to this one's count
            }, "measured-" + run);
            t.start();
            done.await();
            threads.add(t);
            System.out.println("thread " + (run + 1) + " of " + RUNS + ": " + n + " " + op);
            from += n;
        }
        end.countDown();
        for (Thread t : threads) {
            t.join();
        }
        System.out.println(op + " " + w.sink + " " + index.stats().residentEntries());
    }

    /** The operation over a range of the prepared batches. */
    private static final class Workload {
        final String op;
        final PrefixIndex index;
        final byte[][] work;
        final ProbeRequest probe;
        long sink;

        Workload(String op, PrefixIndex index, byte[][] work, ProbeRequest probe) {
            this.op = op;
            this.index = index;
            this.work = work;
            this.probe = probe;
        }

        void run(int from, int to) {
            for (int i = from; i < to; i++) {
                switch (op) {
                    case "decode" -> sink += Wire.decode(work[i]).events().size();
                    case "store", "remove" -> index.apply("pod-" + i % PODS, "", Wire.decode(work[i]));
                    case "probe" -> sink += index.probe(probe).pods().size();
                    default -> throw new IllegalArgumentException("decode, store, remove or probe, not " + op);
                }
            }
        }
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
