package io.kvevents.sdk;

import io.kvevents.internal.sim.Router;
import io.kvevents.internal.sim.SimulatedEngine;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Simulated vLLM pods replaying a workload trace: each pod an LRU prefix cache of {@code capacityBlocks}
 * blocks emitting exactly the events vLLM would, requests routed by a {@link Policy}. {@link #hitRates}
 * runs in-process; {@link SimulatedCluster} publishes the same events over ZeroMQ on loopback.
 */
public final class Simulation {
    private Simulation() {
    }

    /** How requests are routed. */
    public enum Policy {
        ROUND_ROBIN, RANDOM, PREFIX;

        /** The command-line spelling: {@code round-robin}, {@code random}, {@code prefix}. */
        public String label() {
            return name().toLowerCase().replace('_', '-');
        }

        /** Parses the command-line spelling. */
        public static Policy parse(String text) {
            for (Policy p : values()) {
                if (p.label().equalsIgnoreCase(text) || p.name().equalsIgnoreCase(text)) {
                    return p;
                }
            }
            throw new IllegalArgumentException("unknown policy '" + text + "': use round-robin, random or prefix");
        }
    }

    /**
     * The simulated pods.
     *
     * @param seed for the random policy and the pods' hash salts
     */
    public record Config(int pods, int capacityBlocks, int blockSize, long seed) {
        public Config {
            if (pods < 1 || pods > 64) {
                throw new IllegalArgumentException("pods must be 1 to 64, got " + pods);
            }
            if (capacityBlocks < 1 || blockSize < 1) {
                throw new IllegalArgumentException("capacity and block size must be positive");
            }
        }

        /** 4 pods of 8,192 blocks of 16 tokens. */
        public static Config defaults() {
            return new Config(4, 8192, 16, 42);
        }

        public List<String> podNames() {
            List<String> names = new ArrayList<>(pods);
            for (int i = 0; i < pods; i++) {
                names.add("sim-pod-" + i);
            }
            return names;
        }
    }

    /**
     * What one policy achieved.
     *
     * @param curve the hit rate so far after each hundredth of the trace (at least one request each): how the
     *     policy warms up and where it settles
     */
    public record PolicyResult(Policy policy, long requests, long promptBlocks, long hitBlocks, long storedBlocks,
            long evictedBlocks, double[] curve) {
        /** Cached blocks reused / full prompt blocks. */
        public double hitRate() {
            return promptBlocks == 0 ? 0 : (double) hitBlocks / promptBlocks;
        }

        @Override
        public String toString() {
            return policy.label() + ": hit rate " + String.format("%.1f%%", 100 * hitRate()) + " over " + requests
                    + " requests";
        }
    }

    /** Replays the trace over fresh pods routed by {@code policy}, in-process, and measures the hit rate. */
    public static PolicyResult hitRates(List<TraceRequest> trace, Config config, Policy policy) {
        List<String> names = config.podNames();
        List<SimulatedEngine> engines = new ArrayList<>();
        Random salts = new Random(config.seed());
        for (int i = 0; i < config.pods(); i++) {
            engines.add(new SimulatedEngine(config.blockSize(), config.capacityBlocks(), salts.nextLong()));
        }
        PrefixIndex index = PrefixIndex.create();
        Router router = new Router(policy, names, config.seed(), index::probe);
        long prompt = 0;
        long hit = 0;
        long stored = 0;
        long evicted = 0;
        int window = Math.max(1, trace.size() / 100);
        List<Double> curve = new ArrayList<>();
        int n = 0;
        for (TraceRequest request : trace) {
            int[] tokens = request.tokens();
            int pod = router.pick(tokens);
            SimulatedEngine.Served served = engines.get(pod).serve(tokens);
            prompt += served.fullBlocks();
            hit += served.hitBlocks();
            if (++n % window == 0 || n == trace.size()) {
                curve.add(prompt == 0 ? 0 : (double) hit / prompt);
            }
            for (KvEvent e : served.events()) {
                if (e instanceof BlockStored s) {
                    stored += s.blockHashes().length;
                } else if (e instanceof BlockRemoved r) {
                    evicted += r.blockHashes().length;
                }
            }
            if (policy == Policy.PREFIX) {
                index.apply(names.get(pod), "", new EventBatch(request.timestampMs() / 1000.0, served.events(), 0));
            }
        }
        return new PolicyResult(policy, trace.size(), prompt, hit, stored, evicted,
                curve.stream().mapToDouble(Double::doubleValue).toArray());
    }
}
