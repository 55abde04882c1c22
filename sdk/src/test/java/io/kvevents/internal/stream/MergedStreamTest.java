package io.kvevents.internal.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvevents.sdk.ReceivedBatch;
import io.kvevents.sdk.SourceSpec;
import io.kvevents.sdk.StreamItem;
import io.kvevents.sdk.StreamNotice;
import io.kvevents.sdk.StreamNotice.Kind;
import io.kvevents.sdk.StreamOptions;
import io.kvevents.testing.VllmPeer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The merged queue of several sources, against the libzmq peer. */
class MergedStreamTest {
    /**
     * A source removed while the consumer is behind (its pod deleted during a rollout, the queue full): nothing of it
     * comes after the notice that says it is gone. Before, its thread, blocked on the full queue, outlived the 2 s
     * that remove() waits and went on queueing batches after GONE, and the index made the gone pod a source again.
     */
    @Test
    void nothingOfARemovedSourceComesAfterItsGoneNotice() throws InterruptedException {
        try (VllmPeer peer = VllmPeer.start(); MergedStream stream = MergedStream.dynamic(8)) {
            peer.publish(200); // replayed on connect: far more than the queue holds
            stream.add(SourceSpec.parse(peer.endpointSpec("pod-a")), StreamOptions.DEFAULT);
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (stream.queued() < 8 && System.nanoTime() < deadline) {
                Thread.onSpinWait();
            }
            assertEquals(8, stream.queued(), "the source fills the queue and waits for room");
            Thread remover = new Thread(() -> stream.remove("pod-a", StreamNotice.of("pod-a", Kind.GONE, "pod deleted")));
            remover.start();
            remover.join(2_500); // the consumer is away: remove() has waited its 2 s for the source's thread
            List<StreamItem> after = new ArrayList<>();
            boolean gone = false;
            long end = System.nanoTime() + 10_000_000_000L;
            while (System.nanoTime() < end) {
                StreamItem item = stream.poll(Duration.ofMillis(300));
                if (item == null) {
                    if (gone && !remover.isAlive()) {
                        break; // quiet since the notice, and remove() has returned
                    }
                } else if (gone) {
                    after.add(item);
                } else {
                    gone = item instanceof StreamNotice n && n.kind() == Kind.GONE;
                }
            }
            assertTrue(gone, "the GONE notice came");
            List<StreamItem> late = after.stream().filter(ReceivedBatch.class::isInstance).toList();
            assertEquals(0, late.size(), () -> late.size() + " batches of pod-a after it was gone, the first "
                    + late.get(0).toString().substring(0, 40));
        }
    }
}
