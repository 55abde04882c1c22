package io.kvevents.bench;

import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.EventBatch;
import io.kvevents.sdk.PrefixIndex;
import io.kvevents.sdk.ProbeRequest;
import io.kvevents.sdk.ProbeResult;
import io.kvevents.sdk.Wire;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The hot paths in isolation: decoding an engine-step batch of 32 blocks, decoding and applying it to
 * an index that already holds 2 M entries (16 pods), and probing a 2,048-block prompt against it.
 */
@State(Scope.Benchmark)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-XX:+UseSerialGC"})
public class HotPathBenchmarks {
    static final int BLOCK = 16;
    static final int STEP_BLOCKS = 32;
    static final int PODS = 16;
    static final int RESIDENT = 2_097_152;

    byte[][] steps;
    String[] sources;
    PrefixIndex index;
    ProbeRequest probe;
    int next;

    @Setup(Level.Trial)
    public void setUp() {
        Random random = new Random(1);
        // 2 M resident entries: 16 pods each holding 128k blocks of distinct prompts, in 32-block steps
        int perPod = RESIDENT / PODS;
        steps = new byte[RESIDENT / STEP_BLOCKS][];
        sources = new String[steps.length];
        index = PrefixIndex.create();
        int s = 0;
        int[] probeTokens = null;
        for (int pod = 0; pod < PODS; pod++) {
            long engine = random.nextLong();
            Long parent = null;
            for (int b = 0; b < perPod; b += STEP_BLOCKS) {
                long[] hashes = new long[STEP_BLOCKS];
                int[] tokens = random.ints(STEP_BLOCKS * BLOCK, 0, 150_000).toArray();
                for (int i = 0; i < STEP_BLOCKS; i++) {
                    hashes[i] = engine++;
                }
                if (b % 2048 == 0) {
                    parent = null; // a new prompt every 2,048 blocks
                }
                if (pod == 0 && b < 2048) {
                    probeTokens = probeTokens == null ? tokens : concat(probeTokens, tokens);
                }
                steps[s] = Wire.encode(new EventBatch(0, List.of(BlockStored.of(hashes, parent, tokens, BLOCK)), 0));
                sources[s] = "pod-" + pod;
                index.apply(sources[s], "", Wire.decode(steps[s]));
                parent = hashes[STEP_BLOCKS - 1];
                s++;
            }
        }
        probe = ProbeRequest.of(probeTokens);
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Decoding one 32-block batch: the score is per block. */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(STEP_BLOCKS)
    public EventBatch decode() {
        next = (next + 1) % steps.length;
        return Wire.decode(steps[next]);
    }

    /** Decoding and applying one 32-block batch to the 2 M-entry index (re-stores resident blocks). */
    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @OperationsPerInvocation(STEP_BLOCKS)
    public void ingest() {
        next = (next + 1) % steps.length;
        index.apply(sources[next], "", Wire.decode(steps[next]));
    }

    /** A 2,048-block prompt held whole by one pod, against 2 M entries. */
    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public ProbeResult probe() {
        return index.probe(probe);
    }
}
