package io.kvevents.internal.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The hand-over of residency changes to a second thread: order, visibility, failure and the thread's end. */
@Timeout(value = 20, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a lost wake-up hangs: fail instead
class ResidencyLaneTest {

    /** Records every change in the order it was applied, on the lane's thread. */
    private static class Recorder implements ResidencyLane.Target {
        final List<String> applied = new ArrayList<>();
        int touches;

        @Override
        public void add(long key, int source, boolean gpu) {
            applied.add("+" + key + "/" + source + "/" + gpu);
        }

        @Override
        public void remove(long key, int source, boolean gpu) {
            applied.add("-" + key + "/" + source + "/" + gpu);
        }

        @Override
        public long touch(long key, int source, boolean gpu) {
            touches++;
            return key;
        }
    }

    @Test
    void everyChangeIsAppliedInOrderAcrossManyTurnsOfTheRingAndSeenAfterSettle() {
        Recorder target = new Recorder();
        ResidencyLane lane = new ResidencyLane(target, "test-lane-order");
        List<String> written = new ArrayList<>();
        Random random = new Random(1);
        for (int i = 0; i < 5 * ResidencyLane.CAPACITY + 17; i++) {
            long key = random.nextLong();
            int source = random.nextInt(5000); // beyond a page of 64 and a short's range
            boolean gpu = random.nextBoolean();
            if (random.nextBoolean()) {
                lane.add(key, source, gpu);
                written.add("+" + key + "/" + source + "/" + gpu);
            } else {
                lane.remove(key, source, gpu);
                written.add("-" + key + "/" + source + "/" + gpu);
            }
            if (i % 10_007 == 0) {
                lane.settle(); // settles in the middle of the ring, not only at its turns
                assertEquals(written, target.applied);
            }
        }
        lane.settle();
        assertEquals(written, target.applied);
        assertEquals(written.size(), target.touches, "each entry's slot is read once, a window ahead");
        lane.close();
    }

    @Test
    void aWriterAheadOfASlowThreadWaitsForRoomRatherThanOverwrite() {
        Recorder slow = new Recorder() {
            @Override
            public void add(long key, int source, boolean gpu) {
                if (applied.isEmpty()) {
                    sleep(300); // the writer fills the ring meanwhile
                }
                super.add(key, source, gpu);
            }
        };
        ResidencyLane lane = new ResidencyLane(slow, "test-lane-slow");
        List<String> written = new ArrayList<>();
        for (int i = 0; i < 3 * ResidencyLane.CAPACITY; i++) {
            lane.add(i, i % 7, true);
            written.add("+" + i + "/" + i % 7 + "/true");
        }
        lane.settle();
        assertEquals(written, slow.applied);
        lane.close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Test
    void entriesNotYetPublishedReachTheThreadOnSettle() {
        Recorder target = new Recorder();
        ResidencyLane lane = new ResidencyLane(target, "test-lane-publish");
        lane.add(7, 1, true); // fewer than PUBLISH_EVERY: only settle publishes it
        lane.settle();
        assertEquals(List.of("+7/1/true"), target.applied);
        lane.close();
    }

    @Test
    void aFailureOnTheLanesThreadIsReportedToTheWriterInsteadOfHangingIt() {
        ResidencyLane.Target failing = new Recorder() {
            @Override
            public void add(long key, int source, boolean gpu) {
                if (key == 3) {
                    throw new OutOfMemoryError("Java heap space");
                }
                super.add(key, source, gpu);
            }
        };
        ResidencyLane lane = new ResidencyLane(failing, "test-lane-failure");
        lane.add(3, 0, true);
        // not an IllegalStateException: a probe throws that for an index that holds nothing yet
        ResidencyLane.Stopped e = assertThrows(ResidencyLane.Stopped.class, lane::settle);
        assertTrue(e.getMessage().contains("residency thread stopped") && e.getMessage().contains("Java heap space"),
                e.getMessage());
        // a writer that fills the ring waits for room that never comes: it is told too
        assertThrows(ResidencyLane.Stopped.class, () -> {
            for (int i = 0; i < 2 * ResidencyLane.CAPACITY; i++) {
                lane.remove(i, 0, true);
            }
        });
    }

    @Test
    void closeStopsTheThread() throws InterruptedException {
        String name = "test-lane-close";
        ResidencyLane lane = new ResidencyLane(new Recorder(), name);
        assertTrue(threadNamed(name));
        lane.close();
        for (int i = 0; i < 500 && threadNamed(name); i++) {
            Thread.sleep(10);
        }
        assertFalse(threadNamed(name));
        // a closed lane says so rather than wait for a thread that is gone
        assertThrows(ResidencyLane.Stopped.class, lane::settle);
        assertThrows(ResidencyLane.Stopped.class, lane::publish);
    }

    @Test
    void aLaneNoLongerReachableHasItsThreadStopped() throws InterruptedException {
        String name = "test-lane-unreachable";
        startAndForget(name);
        assertTrue(threadNamed(name), "the lane's thread runs while the lane may be used");
        for (int i = 0; i < 100 && threadNamed(name); i++) {
            System.gc();
            Thread.sleep(50);
        }
        assertFalse(threadNamed(name), "the lane's thread outlived the lane");
    }

    private static void startAndForget(String name) {
        ResidencyLane lane = new ResidencyLane(new Recorder(), name);
        lane.add(1, 1, true);
        lane.settle();
    }

    private static boolean threadNamed(String name) {
        return Thread.getAllStackTraces().keySet().stream().anyMatch(t -> t.getName().equals(name) && t.isAlive());
    }
}
