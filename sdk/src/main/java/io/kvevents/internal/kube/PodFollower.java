package io.kvevents.internal.kube;

import io.kvevents.internal.stream.MergedStream;
import io.kvevents.sdk.SourceSpec;
import io.kvevents.sdk.StreamNotice;
import io.kvevents.sdk.StreamOptions;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Collectors;

/**
 * Keeps a stream's sources equal to the ready pods of its targets: a pod that becomes ready gets a
 * port-forward per ZeroMQ port and joins as a source named by the pod; a pod that is deleted or no
 * longer ready leaves (announced, so an index forgets what it held). Looks every {@code refresh}.
 */
public final class PodFollower implements AutoCloseable {
    private final KubeApi api;
    private final PodTargets targets;
    private final MergedStream stream;
    private final StreamOptions options;
    private final Duration refresh;
    /** Per followed pod, the forwarded ports of each of its data-parallel ranks, by source name. */
    private final Map<String, Map<String, Tunnels>> followed = new LinkedHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private String lastListError;

    /** The forwarded ports of one pod (no replay when the engine has no replay endpoint). */
    private static final class Tunnels {
        final PortForwarder live;
        final PortForwarder replay;

        Tunnels(PortForwarder live, PortForwarder replay) {
            this.live = live;
            this.replay = replay;
        }

        void close() {
            live.close();
            if (replay != null) {
                replay.close();
            }
        }
    }

    /**
     * Finds the ready pods once (so that a wrong name or a refused list fails here, in the caller), then
     * follows them on a daemon thread.
     *
     * @throws IllegalStateException when no pod is ready
     */
    public PodFollower(KubeApi api, PodTargets targets, MergedStream stream, StreamOptions options, Duration refresh) {
        this.api = api;
        this.targets = targets;
        this.stream = stream;
        this.options = options;
        this.refresh = refresh;
        List<PodTargets.Pod> ready = targets.ready();
        if (ready.isEmpty()) {
            throw new IllegalStateException("no ready pod of " + targets.describe()
                    + ": check kubectl get pods, or wait for the rollout");
        }
        try {
            sync(ready);
        } catch (RuntimeException e) {
            followed.values().forEach(ranks -> ranks.values().forEach(Tunnels::close)); // what the first look opened
            throw e;
        }
        this.thread = new Thread(this::run, "kvevents-pods");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void run() {
        while (running) {
            try {
                Thread.sleep(refresh.toMillis());
            } catch (InterruptedException e) {
                return;
            }
            if (!running) {
                return;
            }
            try {
                sync(targets.ready());
                lastListError = null;
            } catch (RuntimeException e) {
                // the API server may come back: say so once, keep the pods we have
                if (!Objects.equals(e.getMessage(), lastListError)) {
                    lastListError = e.getMessage();
                    stream.announce(StreamNotice.of(targets.namespace(), StreamNotice.Kind.DISCONNECTED,
                            "cannot list the pods to follow: " + e.getMessage() + "; following the ones known"));
                }
            }
        }
    }

    private synchronized void sync(List<PodTargets.Pod> ready) {
        if (!running) {
            return;
        }
        Set<String> names = ready.stream().map(PodTargets.Pod::name).collect(Collectors.toSet());
        for (String gone : List.copyOf(followed.keySet())) {
            if (!names.contains(gone)) {
                Map<String, Tunnels> ranks = followed.remove(gone);
                ranks.forEach((source, t) -> {
                    stream.remove(source, StreamNotice.of(source, StreamNotice.Kind.GONE,
                            "pod " + gone + " was deleted or is no longer ready: what it held no longer counts"));
                    t.close();
                });
            }
        }
        for (PodTargets.Pod pod : ready) {
            if (followed.containsKey(pod.name())) {
                continue;
            }
            Map<String, Tunnels> ranks = new LinkedHashMap<>();
            followed.put(pod.name(), ranks);
            for (PodTargets.Rank rank : pod.publishers()) {
                follow(pod, rank, ranks);
            }
        }
    }

    /** Forwards one rank's ports and adds it to the stream. */
    private void follow(PodTargets.Pod pod, PodTargets.Rank rank, Map<String, Tunnels> ranks) {
        String source = rank.source();
        String which = "pod " + pod.name() + (pod.ranks() > 1 ? " rank " + rank.rank() : "");
        // A refused forward (RBAC on pods/portforward, the kubelet) is told when it happens, once per reason.
        Consumer<String> tell = reason -> stream.announce(StreamNotice.of(source, StreamNotice.Kind.FORWARD_FAILED, reason));
        PortForwarder live = PortForwarder.open(api.streamingClient(), pod.namespace(), pod.name(), rank.pubPort(), tell);
        if (rank.replayPort() == 0) {
            ranks.put(source, new Tunnels(live, null));
            stream.announce(StreamNotice.of(source, StreamNotice.Kind.ADDED, which + " is ready: forwarding its port "
                    + rank.pubPort() + " to " + live.endpoint() + "; its engine has no replay endpoint, so events from before"
                    + " now cannot be read"));
            stream.add(SourceSpec.liveOnly(source, live.endpoint()), options);
            return;
        }
        PortForwarder replay = PortForwarder.open(api.streamingClient(), pod.namespace(), pod.name(), rank.replayPort(), tell);
        ranks.put(source, new Tunnels(live, replay));
        stream.announce(StreamNotice.of(source, StreamNotice.Kind.ADDED, which + " is ready: forwarding its ports "
                + rank.pubPort() + " and " + rank.replayPort() + " to " + live.endpoint() + " and " + replay.endpoint()));
        stream.add(SourceSpec.of(source, live.endpoint(), replay.endpoint()), options);
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        synchronized (this) {
            followed.values().forEach(ranks -> ranks.values().forEach(Tunnels::close));
            followed.clear();
        }
    }
}
