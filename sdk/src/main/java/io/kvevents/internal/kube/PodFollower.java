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
    private final Map<String, Tunnels> followed = new LinkedHashMap<>();
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
            followed.values().forEach(Tunnels::close); // what the first look opened
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
                Tunnels t = followed.remove(gone);
                stream.remove(gone, StreamNotice.of(gone, StreamNotice.Kind.GONE,
                        "pod " + gone + " was deleted or is no longer ready: what it held no longer counts"));
                t.close();
            }
        }
        for (PodTargets.Pod pod : ready) {
            if (followed.containsKey(pod.name())) {
                continue;
            }
            // A refused forward (RBAC on pods/portforward, the kubelet) is told when it happens, once per reason.
            Consumer<String> tell = reason -> stream.announce(StreamNotice.of(pod.name(), StreamNotice.Kind.FORWARD_FAILED, reason));
            PortForwarder live = PortForwarder.open(api.streamingClient(), pod.namespace(), pod.name(), pod.pubPort(), tell);
            if (!pod.replays()) {
                followed.put(pod.name(), new Tunnels(live, null));
                stream.announce(StreamNotice.of(pod.name(), StreamNotice.Kind.ADDED, "pod " + pod.name()
                        + " is ready: forwarding its port " + pod.pubPort() + " to " + live.endpoint() + "; its engine has no"
                        + " replay endpoint, so events from before now cannot be read"));
                stream.add(SourceSpec.liveOnly(pod.name(), live.endpoint()), options);
                continue;
            }
            PortForwarder replay = PortForwarder.open(api.streamingClient(), pod.namespace(), pod.name(), pod.replayPort(), tell);
            followed.put(pod.name(), new Tunnels(live, replay));
            stream.announce(StreamNotice.of(pod.name(), StreamNotice.Kind.ADDED, "pod " + pod.name()
                    + " is ready: forwarding its ports " + pod.pubPort() + " and " + pod.replayPort() + " to "
                    + live.endpoint() + " and " + replay.endpoint()));
            stream.add(SourceSpec.of(pod.name(), live.endpoint(), replay.endpoint()), options);
        }
    }

    @Override
    public void close() {
        running = false;
        thread.interrupt();
        synchronized (this) {
            followed.values().forEach(Tunnels::close);
            followed.clear();
        }
    }
}
