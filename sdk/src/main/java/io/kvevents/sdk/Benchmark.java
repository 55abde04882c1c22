package io.kvevents.sdk;

import io.kvevents.internal.sim.SimulatedEngine;
import io.kvevents.internal.sim.ZmqPublisher;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.zeromq.ZContext;

/**
 * The numbers of docs/performance.md on this machine: ingest (decode + apply, one thread), probe latency of a
 * 2,048-block prompt against the resident index, memory per resident entry, and recovery of a
 * 10,000-batch replay over ZeroMQ. Medians over {@code repeat} runs.
 */
public final class Benchmark {
    /** Probing before the probes are timed: ten times as many probes, for two seconds at most. */
    private static final Duration PROBE_WARM_UP = Duration.ofSeconds(2);
    private static final int PROBE_WARM_UP_FACTOR = 10;

    private Benchmark() {
    }

    /**
     * @param capacityBlocks each pod's prefix-cache capacity: pods × capacity bounds the resident entries
     */
    public record Config(int pods, int capacityBlocks, int blockSize, int requests, int repeat, int probes) {
        /** 16 pods of 131,072 blocks of 16 tokens (≥ 2 M resident entries), the whole trace, 5 runs. */
        public static Config defaults() {
            return new Config(16, 131_072, 16, Integer.MAX_VALUE, 5, 2_000);
        }
    }

    /** The figures; field names as {@code bench -o json} prints them. */
    /**
     * @param ingestBlocksPerSecond into an index that grows as it fills ({@link PrefixIndex#create()})
     * @param ingestPresizedBlocksPerSecond into one sized for the fleet ({@link PrefixIndex#forFleet}): no rehashing
     * @param ingestTwoThreadsBlocksPerSecond into a growing index that applies on two threads
     *     ({@link PrefixIndex#pipelined(String)}): this one decodes and maps engine hashes to keys, the second records residency
     * @param ingestTwoThreadsPresizedBlocksPerSecond into a pipelined index sized for the fleet
     *     ({@link PrefixIndex#pipelined(String, int, int)})
     */
    public record Result(double ingestBlocksPerSecond, double ingestPresizedBlocksPerSecond,
            double ingestTwoThreadsBlocksPerSecond, double ingestTwoThreadsPresizedBlocksPerSecond, double probeP50Micros,
            double probeP99Micros, double bytesPerEntry, long residentEntries, double recoveryMillis, int recoveryBatches,
            long storedBlocks, long batches) {
    }

    /** Runs every benchmark on a trace; {@code progress} hears what is being measured. */
    public static Result run(List<TraceRequest> trace, Config config, java.util.function.Consumer<String> progress) {
        progress.accept("simulating " + trace.size() + " requests over " + config.pods() + " pods");
        Workload w = Workload.build(trace, config);

        progress.accept("ingest: decoding and applying " + w.payloads.size() + " batches (" + w.storedBlocks
                + " stored blocks), " + config.repeat() + " runs");
        double[] rates = new double[config.repeat()];
        PrefixIndex index = null;
        for (int r = 0; r < config.repeat(); r++) {
            index = PrefixIndex.create();
            long t0 = System.nanoTime();
            for (int i = 0; i < w.payloads.size(); i++) {
                index.apply(w.sources.get(i), "", Wire.decode(w.payloads.get(i)));
            }
            rates[r] = w.storedBlocks / ((System.nanoTime() - t0) / 1e9);
        }
        IndexStats stats = index.stats();
        double[] presized = new double[config.repeat()];
        for (int r = 0; r < config.repeat(); r++) {
            PrefixIndex sized = PrefixIndex.forFleet(PrefixIndex.DEFAULT_MODEL, config.pods(), config.capacityBlocks());
            long t0 = System.nanoTime();
            for (int i = 0; i < w.payloads.size(); i++) {
                sized.apply(w.sources.get(i), "", Wire.decode(w.payloads.get(i)));
            }
            presized[r] = w.storedBlocks / ((System.nanoTime() - t0) / 1e9);
        }

        double[] twoThreads = new double[config.repeat()];
        for (int r = 0; r < config.repeat(); r++) {
            twoThreads[r] = w.storedBlocks / pipelined(w, PrefixIndex.pipelined(PrefixIndex.DEFAULT_MODEL));
        }
        double[] twoThreadsPresized = new double[config.repeat()];
        for (int r = 0; r < config.repeat(); r++) {
            twoThreadsPresized[r] = w.storedBlocks / pipelined(w,
                    PrefixIndex.pipelined(PrefixIndex.DEFAULT_MODEL, config.pods(), config.capacityBlocks()));
        }

        progress.accept("probe: a " + w.probe.length + "-token prompt, " + config.repeat() + " × " + config.probes()
                + " probes after " + PROBE_WARM_UP_FACTOR * config.probes() + " (at most "
                + PROBE_WARM_UP.toSeconds() + " s) untimed");
        ProbeRequest request = ProbeRequest.of(w.probe);
        w.payloads.clear(); // the ingest's garbage must not be collected in the middle of the probes
        System.gc();
        // The probe's loops are compiled on the fly: time them once the optimizing compiler is done with them,
        // as JMH's warm-up iterations do (a thousand probes left the first rounds in interpreted or C1 code).
        long warmUpEnd = System.nanoTime() + PROBE_WARM_UP.toNanos();
        for (long i = 0; i < (long) PROBE_WARM_UP_FACTOR * config.probes() && System.nanoTime() < warmUpEnd; i++) {
            index.probe(request);
        }
        double[] p50 = new double[config.repeat()];
        double[] p99 = new double[config.repeat()];
        double[] micros = new double[config.probes()];
        for (int r = 0; r < config.repeat(); r++) {
            for (int i = 0; i < micros.length; i++) {
                long t0 = System.nanoTime();
                index.probe(request);
                micros[i] = (System.nanoTime() - t0) / 1e3;
            }
            Arrays.sort(micros);
            p50[r] = percentile(micros, 0.5);
            p99[r] = percentile(micros, 0.99);
        }

        int batches = w.steps.size();
        progress.accept("recovery: a " + batches + "-batch replay over ZeroMQ, " + config.repeat() + " runs");
        double[] recovery = new double[config.repeat()];
        for (int r = 0; r < config.repeat(); r++) {
            recovery[r] = recoveryMillis(w);
        }
        return new Result(median(rates), median(presized), median(twoThreads), median(twoThreadsPresized), median(p50), median(p99), stats.bytesPerEntry(),
                stats.residentEntries(), median(recovery), batches, w.storedBlocks, trace.size() + 1);
    }

    /** The events the simulated pods publish for the trace, encoded as vLLM does, plus a 2,048-block probe. */
    private static final class Workload {
        static final int STEP_BLOCKS = 32;

        final List<String> sources = new ArrayList<>();
        final List<byte[]> payloads = new ArrayList<>();
        /** 10,000 batches the size of an engine step (at most 32 blocks), for the replay. */
        final List<byte[]> steps = new ArrayList<>();
        long storedBlocks;
        int[] probe;

        static Workload build(List<TraceRequest> trace, Config config) {
            Workload w = new Workload();
            List<SimulatedEngine> engines = new ArrayList<>();
            Random salts = new Random(7);
            for (int i = 0; i < config.pods(); i++) {
                engines.add(new SimulatedEngine(config.blockSize(), config.capacityBlocks(), salts.nextLong()));
            }
            long maxId = 0;
            int n = 0;
            for (TraceRequest r : trace) {
                for (long id : r.hashIds()) {
                    maxId = Math.max(maxId, id);
                }
                w.serve(engines, n++ % config.pods(), r.tokens(), r.timestampMs());
            }
            // A 32k-token prompt of new blocks, held by pod 0: the probe walks all 2,048 of them.
            long[] ids = new long[32_768 / TraceRequest.TRACE_BLOCK];
            for (int i = 0; i < ids.length; i++) {
                ids[i] = maxId + 1 + i;
            }
            w.probe = new TraceRequest(0, 32_768, 1, ids).tokens();
            w.serve(engines, 0, w.probe, 0);
            return w;
        }

        private void serve(List<SimulatedEngine> engines, int pod, int[] tokens, long ms) {
            SimulatedEngine.Served s = engines.get(pod).serve(tokens);
            for (KvEvent e : s.events()) {
                if (e instanceof BlockStored b) {
                    storedBlocks += b.blockHashes().length;
                }
            }
            sources.add("pod-" + pod);
            payloads.add(Wire.encode(new EventBatch(ms / 1000.0, s.events(), 0)));
            for (KvEvent e : s.events()) {
                if (steps.size() >= 10_000) {
                    return;
                }
                if (e instanceof BlockStored b) {
                    // vLLM publishes a batch per scheduler step; with chunked prefill that is a few dozen blocks.
                    for (int from = 0; from < b.blockHashes().length && steps.size() < 10_000; from += STEP_BLOCKS) {
                        int to = Math.min(b.blockHashes().length, from + STEP_BLOCKS);
                        Long parent = from == 0 ? b.parentBlockHash() : Long.valueOf(b.blockHashes()[from - 1]);
                        BlockStored chunk = BlockStored.of(Arrays.copyOfRange(b.blockHashes(), from, to), parent,
                                Arrays.copyOfRange(b.tokenIds(), from * b.blockSize(), to * b.blockSize()), b.blockSize());
                        steps.add(Wire.encode(new EventBatch(ms / 1000.0, List.of(chunk), 0)));
                    }
                } else {
                    steps.add(Wire.encode(new EventBatch(ms / 1000.0, List.of(e), 0)));
                }
            }
        }
    }

    /**
     * Seconds to decode and apply every payload into {@code pipelined} (a {@link PrefixIndex#pipelined(String)} index, closed
     * here), until its second thread has applied the last change ({@link PrefixIndex#stats()} waits for it).
     */
    private static double pipelined(Workload w, PrefixIndex pipelined) {
        try (PrefixIndex index = pipelined) {
            long t0 = System.nanoTime();
            for (int i = 0; i < w.payloads.size(); i++) {
                index.apply(w.sources.get(i), "", Wire.decode(w.payloads.get(i)));
            }
            index.stats();
            return (System.nanoTime() - t0) / 1e9;
        }
    }

    private static double recoveryMillis(Workload w) {
        try (ZContext context = new ZContext(1);
                ZmqPublisher publisher = new ZmqPublisher(context, "kv@pod-0@bench", true, 0, 0)) {
            int batches = w.steps.size();
            w.steps.forEach(publisher::publish);
            while (publisher.pending() > 0) {
                Thread.sleep(1);
            }
            SourceSpec spec = SourceSpec.of("pod-0", "tcp://127.0.0.1:" + publisher.pubPort(),
                    "tcp://127.0.0.1:" + publisher.replayPort());
            PrefixIndex index = PrefixIndex.create();
            long t0 = System.nanoTime();
            int applied = 0;
            try (EventStream stream = EventStream.connect(List.of(spec), StreamOptions.DEFAULT)) {
                long deadline = t0 + Duration.ofSeconds(60).toNanos();
                while (applied < batches && System.nanoTime() < deadline) {
                    StreamItem item = stream.poll(Duration.ofMillis(100));
                    if (item != null) {
                        index.apply(item);
                        if (item instanceof ReceivedBatch) {
                            applied++;
                        }
                    }
                }
            }
            if (applied < batches) {
                throw new IllegalStateException("recovery benchmark: only " + applied + " of " + batches
                        + " batches arrived within 60 s");
            }
            return (System.nanoTime() - t0) / 1e6;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static double median(double[] values) {
        double[] v = values.clone();
        Arrays.sort(v);
        return percentile(v, 0.5);
    }

    private static double percentile(double[] sorted, double p) {
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }
}
