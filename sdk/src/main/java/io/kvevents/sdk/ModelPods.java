package io.kvevents.sdk;

import io.kvevents.internal.kube.KubeApi;
import io.kvevents.internal.kube.PodFollower;
import io.kvevents.internal.kube.PodTargets;
import io.kvevents.internal.kube.PortForwarder;
import io.kvevents.internal.stream.MergedStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The ready pods of model Deployments (or pods named directly), reached from outside the cluster
 * through the API server's port-forward, as {@code kubectl port-forward} reaches them: one local port
 * per pod and port, sources named by pod.
 *
 * <pre>{@code
 * try (var pods = ModelPods.find(KubeContext.defaults(), "llama-3-8b");
 *      var events = pods.events(StreamOptions.DEFAULT)) {
 *     events.items().limit(10).forEach(System.out::println);
 * }
 * }</pre>
 */
public final class ModelPods implements AutoCloseable {
    /** How often the pods are listed again while a stream follows them. */
    public static final Duration REFRESH = Duration.ofSeconds(2);

    private final KubeApi api;
    private final PodTargets targets;
    private final List<PortForwarder> forwards = new ArrayList<>();

    private ModelPods(KubeApi api, PodTargets targets) {
        this.api = api;
        this.targets = targets;
    }

    /**
     * Resolves each target as a Deployment of the context's namespace (its pods by its selector), else
     * as a pod.
     *
     * @throws IllegalArgumentException when a target is neither, or the kubeconfig is unusable
     */
    public static ModelPods find(KubeContext context, String... targets) {
        return find(context, List.of(targets));
    }

    /** See {@link #find(KubeContext, String...)}. */
    public static ModelPods find(KubeContext context, List<String> targets) {
        KubeApi api = KubeApi.connect(context);
        return new ModelPods(api, PodTargets.resolve(api, targets));
    }

    /**
     * The model Deployments (those running vLLM) of the context's namespace, each request given at most
     * {@code timeout}: what shell completion offers for MODEL.
     */
    public static List<String> models(KubeContext context, Duration timeout) {
        return KubeApi.connect(context, timeout).vllmDeploymentNames();
    }

    /**
     * The model the targets serve, when they are Deployments of one model: the AIBrix model label, else
     * {@code --served-model-name}, else the Deployment's name. Empty for pods named one by one.
     */
    public java.util.Optional<String> servedModel() {
        return targets.servedModel();
    }

    /** The names of the pods that are ready now. */
    public List<String> ready() {
        return targets.ready().stream().map(PodTargets.Pod::name).toList();
    }

    /**
     * Their events, following pods as they come and go (every {@link #REFRESH}); closing the stream stops
     * following and closes its port-forwards.
     *
     * @throws IllegalStateException when no pod is ready
     */
    public EventStream events(StreamOptions options) {
        MergedStream merged = MergedStream.dynamic();
        try {
            PodFollower follower = new PodFollower(api, targets, merged, options, REFRESH);
            return new EventStream(merged, targets.describe(), follower);
        } catch (RuntimeException e) {
            merged.close();
            throw e;
        }
    }

    /**
     * Looks at every ready pod for {@code within}: what it publishes (through port-forward), the age of
     * its last event, whether its replay endpoint answers.
     *
     * @throws IllegalStateException when no pod is ready
     */
    public List<PodActivity> probe(Duration within) {
        return probe(within, false);
    }

    /** @param untilOnePublishes stop as soon as one pod shows that it publishes (a verification) */
    List<PodActivity> probe(Duration within, boolean untilOnePublishes) {
        Map<String, Integer> blockSizes = new HashMap<>();
        Map<String, String> problems = new HashMap<>();
        List<String> pods;
        List<SourceStats> stats;
        try (EventStream stream = events(StreamOptions.DEFAULT)) {
            long deadline = System.nanoTime() + within.toNanos();
            while (System.nanoTime() < deadline) {
                StreamItem item = stream.poll(Duration.ofMillis(100));
                if (item instanceof ReceivedBatch b) {
                    for (KvEvent e : b.events()) {
                        if (e instanceof BlockStored stored && stored.showsBlockSize()) {
                            blockSizes.put(b.source(), stored.blockSize());
                        }
                    }
                } else if (item instanceof StreamNotice n && n.kind() == StreamNotice.Kind.FORWARD_FAILED) {
                    problems.put(n.source(), n.message());
                }
                if (untilOnePublishes && stream.stats().stream().anyMatch(s -> s.batches() > 0 || s.replaysAnswered() > 0)) {
                    break;
                }
            }
            stats = stream.stats();
            pods = stream.sourceNames();
        }
        List<PodActivity> out = new ArrayList<>();
        for (String pod : pods) {
            SourceStats s = stats.stream().filter(x -> x.source().equals(pod)).findFirst().orElse(null);
            out.add(new PodActivity(pod, s == null ? 0 : s.batches(), s == null ? null : s.lag(), s == null ? null : s.delay(),
                    s != null && s.replaysAnswered() > 0, blockSizes.get(pod), problems.get(pod)));
        }
        return out;
    }

    /**
     * vLLM's {@code /tokenize} on one ready pod (the first), through a port-forward to its HTTP port:
     * the tokenizer of exactly the model that cached the blocks.
     *
     * @throws IllegalStateException when no pod is ready
     */
    public synchronized Tokenizer tokenizer() {
        List<PodTargets.Pod> ready = targets.ready();
        if (ready.isEmpty()) {
            throw new IllegalStateException("no ready pod of " + targets.describe() + " to tokenize with");
        }
        PodTargets.Pod pod = ready.get(0);
        // a refused forward shows as the tokenizer's own connection error
        PortForwarder forward = PortForwarder.open(api.streamingClient(), pod.namespace(), pod.name(), pod.httpPort(),
                reason -> { });
        forwards.add(forward);
        return Tokenizer.vllm(forward.httpUrl());
    }

    /** Closes the port-forwards opened for {@link #tokenizer()} (streams close their own). */
    @Override
    public synchronized void close() {
        forwards.forEach(PortForwarder::close);
        forwards.clear();
    }

    @Override
    public String toString() {
        return "ModelPods[" + targets.describe() + "]";
    }
}
