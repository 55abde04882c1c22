package io.kvevents.bench;

import io.kvevents.sdk.BlockRemoved;
import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.EventBatch;
import io.kvevents.sdk.PrefixIndex;
import io.kvevents.sdk.ProbeRequest;
import io.kvevents.sdk.Wire;
import java.util.List;
import java.util.Random;

/**
 * The workload whose instructions {@code valgrind --tool=callgrind} counts (docs/performance.md, "Instruction
 * counts"): {@code java ... InstructionCounts OP N} builds the same index every time, warms the operation up the same
 * way, then runs it N times. Two runs with different N differ only by the extra operations, so
 * {@code (Ir(N2) - Ir(N1)) / (N2 - N1)} is the instructions of one operation, the JVM's start, the setup and the
 * JIT's work cancelled out (the warm-up, 20,000 batches or 2,000 probes, takes every path through C2 first). Instructions, unlike time, do not swing with this machine's neighbours.
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
    static final int MAX = 6_000;

    private InstructionCounts() {
    }

    public static void main(String[] args) {
        String op = args[0];
        int n = Integer.parseInt(args[1]);
        Random random = new Random(1);
        // sized for everything the runs store: a table's growth would fall in one run's window and not the other's
        PrefixIndex index = PrefixIndex.forFleet(PrefixIndex.DEFAULT_MODEL, PODS, (RESIDENT + (WARMUP + MAX) * STEP) / PODS);
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
        // every batch either run could use, made before either runs: the setup is the same whatever N is
        byte[][] work = new byte[WARMUP + MAX][];
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
        ProbeRequest probe = ProbeRequest.of(prompt);
        long sink = 0;
        // a probe's inner loops run 2,048 times a call: a tenth of the warm-up reaches the same compiled code
        int warmup = op.equals("probe") ? WARMUP / 10 : WARMUP;
        for (int i = 0; i < warmup + Math.min(n, MAX); i++) {
            switch (op) {
                case "decode" -> sink += Wire.decode(work[i]).events().size();
                case "store", "remove" -> index.apply("pod-" + i % PODS, "", Wire.decode(work[i]));
                case "probe" -> sink += index.probe(probe).pods().size();
                default -> throw new IllegalArgumentException("decode, store, remove or probe, not " + op);
            }
        }
        System.out.println(op + " " + n + " " + sink + " " + index.stats().residentEntries());
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
