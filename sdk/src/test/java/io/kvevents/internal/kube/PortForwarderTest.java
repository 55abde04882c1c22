package io.kvevents.internal.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvevents.sdk.FakeApiServer;
import io.kvevents.sdk.KubeContext;
import java.net.Socket;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link PortForwarder} against an API server that refuses the stream (the port-forward happy path: PodCommandsTest). */
class PortForwarderTest {
    @TempDir
    Path dir;

    /**
     * A stream the API server refuses without upgrading (a pod that is not there: 404; no RBAC for pods/portforward:
     * 403) is one reason told to the caller. client-java's WebSocketStreamHandler.close() (25.0.0; read in
     * util/src/main/java/io/kubernetes/client/util/WebSocketStreamHandler.java at 4c6b31197) flushes its output
     * streams through a WebSocket that never opened, and the NullPointerException came out of our forwarding thread and
     * OkHttp's dispatcher as two stack traces on the user's terminal.
     */
    @Test
    void aRefusedStreamIsOneReasonAndNoStackTrace() throws Exception {
        List<String> uncaught = new CopyOnWriteArrayList<>();
        Thread.UncaughtExceptionHandler before = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((t, e) -> uncaught.add(t.getName() + ": " + e));
        try (FakeApiServer api = new FakeApiServer()) {
            KubeContext context = new KubeContext(List.of(api.kubeconfig(dir, "default")), null, null, false);
            List<String> reasons = new CopyOnWriteArrayList<>();
            try (PortForwarder forward = PortForwarder.open(KubeApi.connect(context).streamingClient(), "default",
                    "no-such-pod", 5557, reasons::add); Socket local = new Socket("127.0.0.1", forward.localPort())) {
                long deadline = System.nanoTime() + 10_000_000_000L;
                while (reasons.isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                assertEquals(1, reasons.size(), reasons.toString());
                assertTrue(reasons.get(0).startsWith("port-forward to pod default/no-such-pod port 5557 failed: "),
                        reasons.get(0));
                Thread.sleep(500); // the handler's close on OkHttp's thread, after our thread's
            }
            assertEquals(List.of(), uncaught);
        } finally {
            Thread.setDefaultUncaughtExceptionHandler(before);
        }
    }
}
