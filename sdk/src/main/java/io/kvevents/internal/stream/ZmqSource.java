package io.kvevents.internal.stream;

import io.kvevents.sdk.RawMessage;
import io.kvevents.sdk.SourceSpec;
import io.kvevents.sdk.SourceStats;
import io.kvevents.sdk.StreamNotice;
import io.kvevents.sdk.StreamNotice.Kind;
import io.kvevents.sdk.StreamOptions;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * One vLLM publisher over ZeroMQ: a SUB socket on the live endpoint and a DEALER on the replay
 * endpoint (a REQ socket would drop every reply after the first), both owned by one thread that
 * drives the source's {@link SourceSequencer}. ZeroMQ reconnects by itself, with backoff.
 */
final class ZmqSource implements SourceWorker {
    private static final AtomicInteger MONITOR_IDS = new AtomicInteger();
    private static final byte[] END_SEQ = {-1, -1, -1, -1, -1, -1, -1, -1};
    private static final byte[] EMPTY = new byte[0];
    /** Messages read from one socket before the other gets a turn. */
    private static final int DRAIN = 512;

    private final ZContext context;
    private final SourceSpec spec;
    private final ItemSink sink;
    private final SourceSequencer sequencer;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean done;
    private ZMQ.Socket replay;
    /** The replay socket's connection events (see {@link #openReplay}). */
    private ZMQ.Socket replayMonitor;
    private ZMQ.Socket live;
    private ZMQ.Socket monitor;
    private ZMQ.Poller poller;
    private int liveIndex;
    private int monitorIndex;
    private int replayIndex = -1;
    private int replayMonitorIndex = -1;
    private boolean connectedBefore;

    ZmqSource(ZContext context, SourceSpec spec, StreamOptions options, ItemSink sink) {
        this.context = context;
        this.spec = spec;
        this.sink = sink;
        this.sequencer = new SourceSequencer(spec.name(), sink, spec.replayEndpoint() == null ? null
                : new SourceSequencer.Replayer() {
                    @Override
                    public void request(long fromSeq) {
                        requestReplay(fromSeq);
                    }

                    @Override
                    public void abandon() {
                        reopenReplay();
                    }
                }, options);
        this.thread = new Thread(this::run, "kvevents-" + spec.name());
        this.thread.setDaemon(true);
    }

    @Override
    public void start() {
        thread.start();
    }

    @Override
    public void stop() {
        running = false;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean done() {
        return done;
    }

    @Override
    public List<SourceStats> stats() {
        return List.of(sequencer.stats());
    }

    private void run() {
        try {
            live = context.createSocket(SocketType.SUB);
            live.setLinger(0);
            live.setRcvHWM(0); // never drop on our side: the sequencer bounds what it holds
            live.setReconnectIVL(100);
            live.setReconnectIVLMax(5000);
            // About 1 connection in 20 between jeromq and libzmq 4.3 never finishes its ZMTP handshake: the socket
            // says connected and receives nothing, for good. A handshake that takes longer than this is dropped
            // and the socket reconnects (longer than a port-forward takes to open its stream, 5 s at most).
            live.setHandshakeIvl(HANDSHAKE_MS);
            String monitorAddress = "inproc://kvevents-monitor-" + MONITOR_IDS.incrementAndGet();
            live.monitor(monitorAddress, ZMQ.EVENT_CONNECTED | ZMQ.EVENT_DISCONNECTED);
            monitor = context.createSocket(SocketType.PAIR);
            monitor.connect(monitorAddress);
            live.subscribe(spec.topic().getBytes(StandardCharsets.UTF_8));
            live.setIPv6(isIpv6(spec.liveEndpoint())); // jeromq resolves a [v6] address only with IPv6 on
            live.connect(spec.liveEndpoint());
            if (spec.replayEndpoint() != null) {
                openReplay();
            }
            pollAll();

            sequencer.start(System.nanoTime());
            while (running) {
                poller.poll(sequencer.recovering() ? 5 : 50); // a replay is timed closely, idle sources loosely
                ZMQ.Poller polled = poller; // the sequencer may open a new replay socket (and poller) below
                if (polled.pollin(monitorIndex)) {
                    connectionEvents(monitor);
                }
                if (replayMonitorIndex >= 0 && (polled.pollin(replayMonitorIndex) || polled.pollin(replayIndex))) {
                    // before the replies, even when the poll saw only them: a handshake's event is written before any
                    // reply over that connection, but the poll looks at the two sockets one after the other
                    replayConnectionEvents(replayMonitor);
                }
                if (replayIndex >= 0 && polled == poller && polled.pollin(replayIndex)) {
                    readReplay();
                }
                if (polled == poller && polled.pollin(liveIndex)) {
                    readLive(live);
                }
                sequencer.tick(System.nanoTime());
            }
        } catch (RuntimeException e) {
            if (running) {
                sink.emit(StreamNotice.of(spec.name(), Kind.FAILED, spec.name() + ": cannot read " + spec.liveEndpoint() + ": "
                        + (e.getMessage() == null ? e.toString() : e.getMessage())));
            }
        } finally {
            if (poller != null) {
                poller.close();
            }
            for (ZMQ.Socket s : Arrays.asList(live, monitor, replay, replayMonitor)) {
                if (s != null) {
                    context.destroySocket(s);
                }
            }
            done = true;
        }
    }

    /**
     * A DEALER on the replay endpoint (a REQ socket would drop every reply after the first), and a monitor of its
     * connection: a handshake (the ZMTP greetings exchanged) tells that a queued request can now be answered, and
     * that its wait so far was not the publisher's latency (SourceSequencer#onReplayConnected); a disconnect, that
     * requests queue again.
     */
    private void openReplay() {
        replay = context.createSocket(SocketType.DEALER);
        replay.setLinger(0);
        replay.setRcvHWM(0);
        replay.setReconnectIVL(100);
        replay.setReconnectIVLMax(5000);
        replay.setHandshakeIvl(HANDSHAKE_MS);
        replay.setIPv6(isIpv6(spec.replayEndpoint()));
        String replayMonitorAddress = "inproc://kvevents-monitor-" + MONITOR_IDS.incrementAndGet();
        replay.monitor(replayMonitorAddress, ZMQ.EVENT_HANDSHAKE_PROTOCOL | ZMQ.EVENT_DISCONNECTED);
        replayMonitor = context.createSocket(SocketType.PAIR);
        replayMonitor.connect(replayMonitorAddress);
        replay.connect(spec.replayEndpoint());
    }

    /**
     * Drops the replay socket with everything it queued or will be answered (linger 0), and opens a new one: vLLM's
     * ROUTER answers each request to the connection that sent it and drops replies to one that is gone
     * (vllm/distributed/kv_events.py at 0181ea3, {@code _service_replay}: no {@code ROUTER_MANDATORY}).
     */
    private void reopenReplay() {
        context.destroySocket(replay);
        context.destroySocket(replayMonitor);
        openReplay();
        poller.close();
        pollAll();
    }

    /** A poller of every socket this source reads. */
    private void pollAll() {
        poller = context.createPoller(4);
        liveIndex = poller.register(live, ZMQ.Poller.POLLIN);
        monitorIndex = poller.register(monitor, ZMQ.Poller.POLLIN);
        replayMonitorIndex = replayMonitor == null ? -1 : poller.register(replayMonitor, ZMQ.Poller.POLLIN);
        replayIndex = replay == null ? -1 : poller.register(replay, ZMQ.Poller.POLLIN);
    }

    private void connectionEvents(ZMQ.Socket monitor) {
        ZMQ.Event event;
        while ((event = ZMQ.Event.recv(monitor, ZMQ.DONTWAIT)) != null) {
            if (event.getEvent() == ZMQ.EVENT_CONNECTED) {
                sink.emit(StreamNotice.of(spec.name(), Kind.CONNECTED, "connected to " + spec.liveEndpoint()));
                sequencer.onConnected(System.nanoTime(), connectedBefore);
                connectedBefore = true;
            } else if (event.getEvent() == ZMQ.EVENT_DISCONNECTED) {
                sink.emit(StreamNotice.of(spec.name(), Kind.DISCONNECTED,
                        "lost " + spec.liveEndpoint() + "; reconnecting (backoff up to 5 s)"));
            }
        }
    }

    private void replayConnectionEvents(ZMQ.Socket replayMonitor) {
        ZMQ.Event event;
        while ((event = ZMQ.Event.recv(replayMonitor, ZMQ.DONTWAIT)) != null) {
            if (event.getEvent() == ZMQ.EVENT_HANDSHAKE_PROTOCOL) {
                sequencer.onReplayConnected(System.nanoTime());
            } else if (event.getEvent() == ZMQ.EVENT_DISCONNECTED) {
                sequencer.onReplayDisconnected();
            }
        }
    }

    private void readLive(ZMQ.Socket live) {
        for (int i = 0; i < DRAIN; i++) {
            List<byte[]> frames = receive(live);
            if (frames == null) {
                return;
            }
            long now = System.nanoTime();
            if (frames.size() != 3 || frames.get(1).length != 8) {
                sequencer.malformedFrames("live message with " + describe(frames)
                        + ", expected 3 frames [topic, seq (8 bytes), payload]");
                continue;
            }
            sequencer.onLive(message(frames.get(0), frames.get(1), frames.get(2)), now);
        }
    }

    private void readReplay() {
        for (int i = 0; i < DRAIN; i++) {
            List<byte[]> frames = receive(replay);
            if (frames == null) {
                return;
            }
            long now = System.nanoTime();
            // ["", topic, seq, payload] (vLLM ≥ 0.26) or ["", seq, payload] (older)
            int n = frames.size();
            boolean shaped = (n == 3 || n == 4) && frames.get(0).length == 0 && frames.get(n - 2).length == 8;
            if (!shaped) {
                sequencer.malformedFrames("replay reply with " + describe(frames)
                        + ", expected [\"\", topic, seq (8 bytes), payload] or [\"\", seq (8 bytes), payload]");
                continue;
            }
            byte[] seq = frames.get(n - 2);
            if (Arrays.equals(seq, END_SEQ)) {
                sequencer.onReplayEnd(now);
            } else {
                sequencer.onReplayed(message(n == 4 ? frames.get(1) : EMPTY, seq, frames.get(n - 1)), now);
            }
        }
    }

    private void requestReplay(long fromSeq) {
        // Never block the source's thread: a request that cannot be queued is sent again on the answer timeout.
        if (replay.send(EMPTY, ZMQ.SNDMORE | ZMQ.DONTWAIT)) {
            replay.send(ByteBuffer.allocate(8).putLong(fromSeq).array(), ZMQ.DONTWAIT);
        }
    }

    private RawMessage message(byte[] topic, byte[] seq, byte[] payload) {
        return new RawMessage(spec.name(), new String(topic, StandardCharsets.UTF_8), ByteBuffer.wrap(seq).getLong(),
                Instant.now(), payload);
    }

    /** {@code tcp://[::1]:5557}: an IPv6 address, in brackets as ZeroMQ writes it. */
    private static boolean isIpv6(String endpoint) {
        return endpoint.startsWith("tcp://[");
    }

    /** How long a ZMTP handshake may take before the connection is dropped and made again. */
    private static final int HANDSHAKE_MS = 6000;

    private static List<byte[]> receive(ZMQ.Socket socket) {
        byte[] first = socket.recv(ZMQ.DONTWAIT);
        if (first == null) {
            return null;
        }
        List<byte[]> frames = new ArrayList<>(4);
        frames.add(first);
        while (socket.hasReceiveMore()) {
            frames.add(socket.recv(0));
        }
        return frames;
    }

    private static String describe(List<byte[]> frames) {
        StringBuilder s = new StringBuilder().append(frames.size()).append(frames.size() == 1 ? " frame (" : " frames (");
        for (int i = 0; i < frames.size(); i++) {
            s.append(i == 0 ? "" : ", ").append(frames.get(i).length).append(" B");
        }
        return s.append(')').toString();
    }
}
