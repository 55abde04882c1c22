package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.EventBatch;
import io.kvevents.sdk.RawMessage;
import io.kvevents.sdk.ReceivedBatch;
import io.kvevents.sdk.StreamNotice;
import io.kvevents.sdk.StreamNotice.Kind;
import io.kvevents.sdk.Wire;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Which pods a tail or probe ends up calling unread: only those it never read and that are still there. */
class NoticePrinterTest {
    private final StringWriter text = new StringWriter();
    private final NoticePrinter printer = new NoticePrinter(new PrintWriter(text, true), false, List.of());

    private static ReceivedBatch batchFrom(String pod) {
        EventBatch batch = EventBatch.of(BlockStored.of(new long[] {1}, null, new int[16], 16));
        return new ReceivedBatch(new RawMessage(pod, "", 0, Instant.EPOCH, Wire.encode(batch)), batch);
    }

    private static StreamNotice refused(String pod) {
        return StreamNotice.of(pod, Kind.FORWARD_FAILED, "port-forward to pod ml/" + pod + " port 5557: connection refused");
    }

    @Test
    void aPodWhoseForwardWasRefusedBeforeAnyBatchIsNeverRead() {
        printer.print(StreamNotice.of("llama-0", Kind.ADDED, "pod llama-0 is ready"));
        printer.print(StreamNotice.of("llama-0", Kind.CONNECTED, "connected"));
        printer.print(refused("llama-0"));
        assertFalse(printer.allRead());
        assertTrue(text.toString().contains("warning: llama-0: port-forward to pod ml/llama-0 port 5557: connection refused"));
        assertTrue(text.toString().endsWith("error: llama-0: never read: port-forward to pod ml/llama-0 port 5557: "
                + "connection refused" + System.lineSeparator()), text.toString());
    }

    @Test
    void aPodThatWasReadBeforeItsForwardFailedWasRead() {
        printer.print(StreamNotice.of("llama-0", Kind.ADDED, "pod llama-0 is ready"));
        printer.print(StreamNotice.of("llama-0", Kind.CONNECTED, "connected"));
        printer.print(batchFrom("llama-0"));
        printer.print(refused("llama-0"));
        assertTrue(printer.allRead(), text.toString());
        assertEquals(1, text.toString().lines().filter(l -> l.startsWith("warning: llama-0: port-forward")).count());
    }

    @Test
    void aPodThatLeftAfterItsForwardWasRefusedNoLongerCounts() {
        printer.print(StreamNotice.of("llama-0", Kind.ADDED, "pod llama-0 is ready"));
        printer.print(refused("llama-0"));
        printer.print(StreamNotice.of("llama-0", Kind.GONE, "pod llama-0 is gone"));
        assertTrue(printer.allRead(), text.toString());
    }

    /**
     * The pod's tunnels are closed after its GONE notice (PodFollower removes the source, then closes them): a refusal
     * told after it is about a pod that no longer counts, and the run did not fail to read it (found in review:
     * tail ended with "never read" and exit 1 for a deleted pod). A pod that comes back under its name counts again.
     */
    @Test
    void aRefusalToldAfterThePodLeftDoesNotCount() {
        printer.print(StreamNotice.of("llama-0", Kind.ADDED, "pod llama-0 is ready"));
        printer.print(StreamNotice.of("llama-0", Kind.GONE, "pod llama-0 is gone"));
        printer.print(refused("llama-0"));
        assertTrue(printer.allRead(), text.toString());
        assertFalse(text.toString().contains("port-forward"), "nothing said about the tunnels of a pod gone: " + text);
        printer.print(StreamNotice.of("llama-0", Kind.ADDED, "pod llama-0 is ready again"));
        printer.print(StreamNotice.of("llama-0", Kind.CONNECTED, "connected"));
        printer.print(refused("llama-0"));
        assertFalse(printer.allRead(), text.toString());
    }
}
