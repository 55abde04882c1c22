package io.kvevents.sdk;

import io.kvevents.internal.sim.Router;
import io.kvevents.internal.sim.SimulatedEngine;
import io.kvevents.internal.sim.ZmqPublisher;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.zeromq.ZContext;

/**
 * Simulated vLLM pods publishing on loopback exactly as vLLM does (live PUB, replay ROUTER, topic
 * {@code kv@<pod>@<model>}): point {@code tail} or {@code cache-probe} at {@link #endpoints()}.
 *
 * <pre>{@code
 * try (var cluster = SimulatedCluster.start(Simulation.Config.defaults(), "demo-model", WireFormat.DEFAULT, Simulation.Policy.ROUND_ROBIN)) {
 *     TraceRequest.read(Path.of("examples/traces/mooncake-conversation-trace.jsonl"), 100).forEach(cluster::serve);
 *     cluster.endpoints();
 * }
 * }</pre>
 */
public final class SimulatedCluster implements AutoCloseable {
    private final Simulation.Config config;
    private final WireFormat format;
    private final ZContext context = new ZContext(1);
    private final List<String> names;
    private final List<SimulatedEngine> engines = new ArrayList<>();
    private final List<ZmqPublisher> publishers = new ArrayList<>();
    private final PrefixIndex index = PrefixIndex.create();
    private final Router router;
    private final Random salts;
    private long served;

    private SimulatedCluster(Simulation.Config config, String model, WireFormat format, Simulation.Policy policy,
            boolean topicFrame, int basePort) {
        this.config = config;
        this.format = format;
        this.names = config.podNames();
        this.salts = new Random(config.seed());
        for (int i = 0; i < config.pods(); i++) {
            engines.add(new SimulatedEngine(config.blockSize(), config.capacityBlocks(), salts.nextLong()));
            int pub = basePort == 0 ? 0 : basePort + 2 * i;
            int replay = basePort == 0 ? 0 : basePort + 2 * i + 1;
            publishers.add(new ZmqPublisher(context, "kv@" + names.get(i) + "@" + model, topicFrame, pub, replay));
        }
        this.router = new Router(policy, names, config.seed(), index::probe);
    }

    /** Starts the pods on free loopback ports; replay replies carry the topic frame (vLLM ≥ 0.26). */
    public static SimulatedCluster start(Simulation.Config config, String model, WireFormat format,
            Simulation.Policy policy) {
        return new SimulatedCluster(config, model, format, policy, true, 0);
    }

    /**
     * Starts the pods on fixed ports: pod i publishes on {@code basePort + 2i} and replays on {@code basePort + 2i + 1}.
     *
     * @param topicFrame false to answer replays without the topic frame, as vLLM before 0.26
     */
    public static SimulatedCluster start(Simulation.Config config, String model, WireFormat format,
            Simulation.Policy policy, boolean topicFrame, int basePort) {
        return new SimulatedCluster(config, model, format, policy, topicFrame, basePort);
    }

    /** Routes a request to a pod, serves it, and publishes the pod's events; returns the pod's name. */
    public synchronized String serve(TraceRequest request) {
        int[] tokens = request.tokens();
        int pod = router.pick(tokens);
        SimulatedEngine.Served s = engines.get(pod).serve(tokens);
        EventBatch batch = new EventBatch(System.currentTimeMillis() / 1000.0, s.events(), 0);
        index.apply(names.get(pod), "", batch);
        publishers.get(pod).publish(Wire.encode(batch, format));
        served++;
        return names.get(pod);
    }

    /** Restarts a pod's engine: empty cache, new salt, seq from 0, and (as vLLM) no AllBlocksCleared. */
    public synchronized void restart(String pod) {
        int i = indexOf(pod);
        engines.get(i).restart(salts.nextLong());
        index.removeSource(pod);
        publishers.get(i).restart();
    }

    /** The pod's next {@code batches} batches reach its replay buffer but are lost live (a slow subscriber, a full HWM). */
    public synchronized void dropLive(String pod, int batches) {
        publishers.get(indexOf(pod)).dropLive(batches);
    }

    /** How many leading full blocks of the prompt the pod really holds (the ground truth). */
    public synchronized int cachedPrefixBlocks(String pod, int[] prompt) {
        return engines.get(indexOf(pod)).cachedPrefixBlocks(prompt);
    }

    /** The pods as {@code --endpoint} sources. */
    public List<SourceSpec> endpoints() {
        List<SourceSpec> out = new ArrayList<>();
        for (int i = 0; i < names.size(); i++) {
            out.add(SourceSpec.of(names.get(i), "tcp://127.0.0.1:" + publishers.get(i).pubPort(),
                    "tcp://127.0.0.1:" + publishers.get(i).replayPort()));
        }
        return out;
    }

    /** Waits until every batch handed over has been taken by its publisher thread. */
    public void flush() {
        try {
            for (ZmqPublisher p : publishers) {
                while (p.pending() > 0) {
                    Thread.sleep(1);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public List<String> pods() {
        return names;
    }

    @Override
    public void close() {
        publishers.forEach(ZmqPublisher::close);
        context.close();
    }

    @Override
    public String toString() {
        return "SimulatedCluster[" + config.pods() + " pods, " + served + " requests served, " + format + "]";
    }

    private int indexOf(String pod) {
        int i = names.indexOf(pod);
        if (i < 0) {
            throw new IllegalArgumentException("no pod " + pod + "; pods: " + names);
        }
        return i;
    }
}
