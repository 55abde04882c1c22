package io.kvevents.internal.sim;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.zeromq.SocketType;
import org.zeromq.ZContext;
import org.zeromq.ZMQ;

/**
 * A publisher that behaves as vLLM's ZmqEventPublisher: PUB {@code [topic, seq, payload]} with seq
 * counting batches from 0, a ROUTER answering {@code ["", seq]} with every buffered batch from that
 * seq and an end marker, a buffer of the last 10,000 batches. One thread owns both sockets.
 */
public final class ZmqPublisher implements AutoCloseable {
    private static final byte[] END_SEQ = {-1, -1, -1, -1, -1, -1, -1, -1};
    private static final byte[] EMPTY = new byte[0];

    private static final int BUFFER = 10_000;

    private final ZContext context;
    private final byte[] topic;
    private final boolean topicFrame;
    private final LinkedBlockingQueue<Command> outgoing = new LinkedBlockingQueue<>();
    private final ArrayDeque<Buffered> buffer = new ArrayDeque<>();
    private final Thread thread;
    private final int pubPort;
    private final int replayPort;
    private final ZMQ.Socket pub;
    private final ZMQ.Socket router;
    private volatile boolean running = true;
    private long seq;
    private int dropping;

    /**
     * Binds on loopback.
     *
     * @param topicFrame whether replay replies carry the topic (vLLM ≥ 0.26)
     */
    public ZmqPublisher(ZContext context, String topic, boolean topicFrame, int pubPort, int replayPort) {
        this.context = context;
        this.topic = topic.getBytes(StandardCharsets.UTF_8);
        this.topicFrame = topicFrame;
        pub = context.createSocket(SocketType.PUB);
        pub.setLinger(0);
        pub.setSndHWM(100_000);
        router = context.createSocket(SocketType.ROUTER);
        router.setLinger(0);
        this.pubPort = bind(pub, pubPort);
        this.replayPort = bind(router, replayPort);
        thread = new Thread(this::run, "kvevents-sim-publisher-" + topic);
        thread.setDaemon(true);
        thread.start();
    }

    private static int bind(ZMQ.Socket socket, int port) {
        if (port == 0) {
            return socket.bindToRandomPort("tcp://127.0.0.1");
        }
        socket.bind("tcp://127.0.0.1:" + port);
        return port;
    }

    public int pubPort() {
        return pubPort;
    }

    public int replayPort() {
        return replayPort;
    }

    /** What the publisher thread is asked to do, in order. */
    private sealed interface Command permits Publish, Restart, DropLive {
    }

    private record Publish(byte[] payload) implements Command {
    }

    private record Restart() implements Command {
    }

    private record DropLive(int batches) implements Command {
    }

    private record Buffered(long seq, byte[] payload) {
    }

    /** Publishes one batch payload (in call order). */
    public void publish(byte[] payload) {
        outgoing.add(new Publish(payload));
    }

    /** The engine restarted: seq back to 0, empty buffer (after the batches already handed over). */
    public void restart() {
        outgoing.add(new Restart());
    }

    /** The next {@code n} batches go into the replay buffer only: their live messages are lost. */
    public void dropLive(int n) {
        outgoing.add(new DropLive(n));
    }

    /** Batches handed over but not yet published. */
    public int pending() {
        return outgoing.size();
    }

    private void run() {
        try (ZMQ.Poller poller = context.createPoller(1)) {
            poller.register(router, ZMQ.Poller.POLLIN);
            while (running) {
                Command command = outgoing.poll(2, TimeUnit.MILLISECONDS);
                while (command != null) {
                    execute(command);
                    command = outgoing.poll();
                }
                if (poller.poll(0) > 0 && poller.pollin(0)) {
                    serveReplay();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            if (running) {
                throw e;
            }
        } finally {
            context.destroySocket(pub);
            context.destroySocket(router);
        }
    }

    private void execute(Command command) {
        if (command instanceof Restart) {
            seq = 0;
            buffer.clear();
        } else if (command instanceof DropLive d) {
            dropping += d.batches();
        } else {
            send(((Publish) command).payload());
        }
    }

    private void send(byte[] payload) {
        byte[] seqBytes = ByteBuffer.allocate(8).putLong(seq).array();
        buffer.addLast(new Buffered(seq, payload));
        if (buffer.size() > BUFFER) {
            buffer.removeFirst();
        }
        seq++;
        if (dropping > 0) {
            dropping--;
            return;
        }
        pub.sendMore(topic);
        pub.sendMore(seqBytes);
        pub.send(payload, 0);
    }

    private void serveReplay() {
        byte[] identity = router.recv(ZMQ.DONTWAIT);
        if (identity == null) {
            return;
        }
        List<byte[]> rest = new ArrayList<>();
        while (router.hasReceiveMore()) {
            rest.add(router.recv(0));
        }
        if (rest.size() != 2 || rest.get(1).length != 8) {
            return; // vLLM logs and ignores a malformed request
        }
        long from = ByteBuffer.wrap(rest.get(1)).getLong();
        for (Buffered b : buffer) {
            if (b.seq() >= from) {
                reply(identity, ByteBuffer.allocate(8).putLong(b.seq()).array(), b.payload());
            }
        }
        reply(identity, END_SEQ, EMPTY);
    }

    private void reply(byte[] identity, byte[] seqBytes, byte[] payload) {
        router.sendMore(identity);
        router.sendMore(EMPTY);
        if (topicFrame) {
            router.sendMore(Arrays.equals(seqBytes, END_SEQ) ? EMPTY : topic);
        }
        router.sendMore(seqBytes);
        router.send(payload, ZMQ.DONTWAIT);
    }

    @Override
    public void close() {
        running = false;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
