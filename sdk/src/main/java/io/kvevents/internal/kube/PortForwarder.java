package io.kvevents.internal.kube;

import io.kubernetes.client.openapi.ApiClient;
import io.kubernetes.client.openapi.ApiException;
import io.kubernetes.client.openapi.Pair;
import io.kubernetes.client.util.WebSocketStreamHandler;
import io.kubernetes.client.util.WebSockets;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import java.time.Duration;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * A local TCP port on loopback that reaches one port of a pod through the API server's port-forward
 * subresource, as {@code kubectl port-forward} does: each accepted connection gets its own stream
 * (the {@code v4.channel.k8s.io} WebSocket protocol of client-java's {@code PortForward}, through its
 * {@link WebSocketStreamHandler}), so ZeroMQ's reconnects work as they would against the pod itself.
 */
public final class PortForwarder implements AutoCloseable {
    /** How long the API server may take to open a stream. */
    private static final Duration OPEN_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration INITIAL_BACKOFF = Duration.ofMillis(500);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);
    private final ApiClient client;
    private final String namespace;
    private final String pod;
    private final int remotePort;
    private final ServerSocket server;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Consumer<String> onError;
    /** The last reason told, so that a reason is told once (until a stream opens again). */
    private String lastError;
    /**
     * After a refused forward, connections are closed at once until this time: ZeroMQ reconnects within
     * 100 ms, and each attempt would otherwise cost the API server (and the kubelet) a new stream.
     */
    private long refuseUntilNanos;
    private long backoffNanos = INITIAL_BACKOFF.toNanos();
    private volatile boolean closed;

    private PortForwarder(ApiClient client, String namespace, String pod, int remotePort, Consumer<String> onError)
            throws IOException {
        this.client = client;
        this.onError = onError;
        this.namespace = namespace;
        this.pod = pod;
        this.remotePort = remotePort;
        this.server = new ServerSocket(0, 16, InetAddress.getLoopbackAddress());
        Thread acceptor = new Thread(this::accept, "kvevents-forward-" + pod + "-" + remotePort);
        acceptor.setDaemon(true);
        acceptor.start();
    }

    /**
     * Starts listening on a free loopback port for {@code pod}'s {@code remotePort}.
     *
     * @param onError hears why a connection could not be forwarded, each time the reason changes
     */
    public static PortForwarder open(ApiClient client, String namespace, String pod, int remotePort,
            Consumer<String> onError) {
        try {
            return new PortForwarder(client, namespace, pod, remotePort, onError);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on a loopback port to forward pod " + pod + " port "
                    + remotePort + ": " + e.getMessage(), e);
        }
    }

    /** The local port. */
    public int localPort() {
        return server.getLocalPort();
    }

    /** {@code tcp://127.0.0.1:PORT}, for ZeroMQ. */
    public String endpoint() {
        return "tcp://127.0.0.1:" + localPort();
    }

    /** {@code http://127.0.0.1:PORT}, for an HTTP client. */
    public String httpUrl() {
        return "http://127.0.0.1:" + localPort();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket socket = server.accept();
                connections.add(socket);
                Thread t = new Thread(() -> forward(socket), "kvevents-forward-" + pod + "-" + remotePort + "-conn");
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                if (!closed) {
                    fail("accepting on " + endpoint() + ": " + e.getMessage());
                }
                return;
            }
        }
    }

    /** Bridges one local connection to one port-forward stream until either side ends. */
    private void forward(Socket socket) {
        synchronized (this) {
            if (System.nanoTime() < refuseUntilNanos) {
                closeQuietly(socket); // backing off after a refusal
                connections.remove(socket);
                return;
            }
        }
        WebSocketStreamHandler handler = new WebSocketStreamHandler();
        try {
            // The channels' pipes exist before the stream opens: a kubelet refusal arrives and closes the
            // stream at once, and client-java's PortForwardResult.init() then throws without its text.
            InputStream fromPod = handler.getInputStream(0);
            InputStream errors = handler.getInputStream(1);
            WebSockets.stream("/api/v1/namespaces/" + namespace + "/pods/" + pod + "/portforward", "GET",
                    List.of(new Pair("ports", String.valueOf(remotePort))), client, handler);
            byte[] header = openStream(fromPod, handler);
            if (header.length < 2 || (header[0] & 0xFF | (header[1] & 0xFF) << 8) != remotePort) {
                errors.readNBytes(2);
                String text = new String(errors.readAllBytes(), StandardCharsets.UTF_8).trim();
                throw new IOException(text.isEmpty() ? "the API server closed the stream" : text);
            }
            // Only once the stream is open: client-java 25.0.0's handler.close() flushes every output stream through
            // the WebSocket, which a refused upgrade never opens (a NullPointerException, on our thread and OkHttp's).
            OutputStream toPod = handler.getOutputStream(0);
            Thread upstream = new Thread(() -> {
                pump(socket, toPod);
                handler.close(); // the local side closed: end the stream
            }, "kvevents-forward-" + pod + "-" + remotePort + "-up");
            upstream.setDaemon(true);
            upstream.start();
            Thread watchErrors = new Thread(() -> watch(errors, socket, handler), "kvevents-forward-" + pod + "-errors");
            watchErrors.setDaemon(true);
            watchErrors.start();
            byte[] buffer = new byte[16_384];
            OutputStream toLocal = socket.getOutputStream();
            boolean answered = false;
            for (int n; (n = fromPod.read(buffer)) >= 0; ) {
                if (!answered && n > 0) {
                    // the pod answered: the kubelet sends the port headers before it dials, so only data proves it
                    answered = true;
                    opened();
                }
                toLocal.write(buffer, 0, n);
                toLocal.flush();
            }
        } catch (IOException | ApiException | RuntimeException e) {
            // a closed local socket is not the forward's failure: ZeroMQ hung up, or the error channel spoke already
            if (!closed && !socket.isClosed()) {
                fail("port-forward to pod " + namespace + "/" + pod + " port " + remotePort + " failed: " + describe(e));
            }
        } finally {
            handler.close();
            closeQuietly(socket);
            connections.remove(socket);
        }
    }

    /**
     * Waits for the stream to open and reads the data channel's header: the port it carries, two bytes
     * little-endian (the v4 protocol). A server that neither answers the upgrade nor sends the header
     * within {@link #OPEN_TIMEOUT} is given up on. The header is read on the forwarding thread itself:
     * a pipe whose last reader thread has ended refuses the writer ("read end dead") and loses data.
     */
    private byte[] openStream(InputStream fromPod, WebSocketStreamHandler handler) throws IOException {
        long deadline = System.nanoTime() + OPEN_TIMEOUT.toNanos();
        while (fromPod.available() < 2) {
            if (handler.getError() != null) {
                throw new IOException(describe(handler.getError()));
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the API server did not open the stream within " + OPEN_TIMEOUT.toSeconds() + " s");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted", e);
            }
        }
        return fromPod.readNBytes(2);
    }

    private static void pump(Socket socket, OutputStream toPod) {
        try {
            InputStream fromLocal = socket.getInputStream();
            byte[] buffer = new byte[16_384];
            for (int n; (n = fromLocal.read(buffer)) >= 0; ) {
                toPod.write(buffer, 0, n);
            }
        } catch (IOException e) {
            // the local side or the stream went away: the caller closes both
        }
    }

    /** The error channel: after its port header, any text is the kubelet's reason the stream failed. */
    private void watch(InputStream errors, Socket socket, WebSocketStreamHandler handler) {
        if (errors == null) {
            return;
        }
        try {
            byte[] header = errors.readNBytes(2);
            if (header.length < 2) {
                return;
            }
            String text = new String(errors.readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!text.isEmpty()) {
                fail("port-forward to pod " + namespace + "/" + pod + " port " + remotePort + ": " + text);
                handler.close();
                closeQuietly(socket);
            }
        } catch (IOException e) {
            // the stream closed
        }
    }

    private synchronized void fail(String reason) {
        refuseUntilNanos = System.nanoTime() + backoffNanos;
        backoffNanos = Math.min(2 * backoffNanos, MAX_BACKOFF.toNanos());
        if (!reason.equals(lastError)) {
            lastError = reason;
            onError.accept(reason);
        }
    }

    /** The pod sent data: the next refusal is news again, and retried soon. */
    private synchronized void opened() {
        lastError = null;
        backoffNanos = INITIAL_BACKOFF.toNanos();
    }

    private static String describe(Throwable e) {
        String text = e instanceof ApiException api && api.getCode() != 0 ? "HTTP " + api.getCode()
                : e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        if (text.contains("403")) {
            text += " (forbidden: ask for RBAC that allows create on pods/portforward)";
        }
        return text;
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        connections.forEach(PortForwarder::closeQuietly);
    }

    @Override
    public String toString() {
        return "PortForwarder[" + endpoint() + " -> pod/" + pod + ":" + remotePort + "]";
    }
}
