package io.kvevents.internal.stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvevents.sdk.AllBlocksCleared;
import io.kvevents.sdk.EventBatch;
import io.kvevents.sdk.RawMessage;
import io.kvevents.sdk.ReceivedBatch;
import io.kvevents.sdk.StreamItem;
import io.kvevents.sdk.StreamNotice;
import io.kvevents.sdk.StreamNotice.Kind;
import io.kvevents.sdk.StreamOptions;
import io.kvevents.sdk.Wire;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The ordering rules of docs/architecture.md (ordering), driven message by message (the libzmq peer tests drive them over sockets). */
class SourceSequencerTest {
    private static final long MS = 1_000_000L;
    private final List<StreamItem> items = new ArrayList<>();
    private final List<Long> replayRequests = new ArrayList<>();
    private final StreamOptions options = StreamOptions.DEFAULT.replayAnswerTimeout(Duration.ofMillis(100))
            .replayIdleTimeout(Duration.ofMillis(100));

    private SourceSequencer withReplay() {
        SourceSequencer s = new SourceSequencer("pod-a", items::add, replayRequests::add, options);
        s.start(0);
        return s;
    }

    private static RawMessage msg(long seq) {
        return new RawMessage("pod-a", "", seq, Instant.EPOCH,
                Wire.encode(new EventBatch(seq, List.of(new AllBlocksCleared()), 0)));
    }

    private List<Long> applied() {
        return items.stream().filter(ReceivedBatch.class::isInstance).map(i -> ((ReceivedBatch) i).seq()).toList();
    }

    private String lastNotice(Kind kind) {
        return items.stream().filter(i -> i instanceof StreamNotice n && n.kind() == kind)
                .map(i -> ((StreamNotice) i).message()).reduce((a, b) -> b).orElse(null);
    }

    private List<Kind> notices() {
        return items.stream().filter(StreamNotice.class::isInstance).map(i -> ((StreamNotice) i).kind()).toList();
    }

    @Test
    void connectReplaysHistoryThenAppliesBufferedLiveMessagesOnce() {
        SourceSequencer s = withReplay();
        assertEquals(List.of(0L), replayRequests);
        assertTrue(s.stats().replaying());
        s.onLive(msg(3), 1);
        s.onLive(msg(4), 1);
        for (long i = 0; i <= 3; i++) {
            s.onReplayed(msg(i), 2);
        }
        s.onReplayEnd(3);
        s.onLive(msg(5), 4);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), applied());
        assertFalse(s.recovering());
        assertFalse(s.stats().replaying(), "what follow() waits for: " + s.stats());
    }

    /**
     * The live batches held during a replay are handed on before the replay counts as over: follow() stops waiting
     * once no source replays and takes what is queued, so a probe after it sees them (found in review: the flag was
     * cleared first).
     */
    @Test
    void heldBatchesAreHandedOnBeforeTheReplayCountsAsOver() {
        SourceSequencer[] self = new SourceSequencer[1];
        List<Boolean> replayingAtEach = new ArrayList<>();
        SourceSequencer s = new SourceSequencer("pod-a", item -> {
            if (item instanceof ReceivedBatch) {
                replayingAtEach.add(self[0].stats().replaying());
            }
        }, replayRequests::add, options);
        self[0] = s;
        s.start(0);
        s.onLive(msg(3), 1);
        s.onLive(msg(4), 1);
        for (long i = 0; i <= 2; i++) {
            s.onReplayed(msg(i), 2);
        }
        s.onReplayEnd(3);
        assertEquals(List.of(true, true, true, true, true), replayingAtEach, "0..2 replayed, then 3 and 4 held");
        assertFalse(s.stats().replaying());
    }

    @Test
    void aGapIsReplayedWhileLaterLiveMessagesWait() {
        SourceSequencer s = withReplay();
        s.onReplayEnd(0);
        s.onLive(msg(0), 0);
        s.onLive(msg(3), 0);
        s.onLive(msg(4), 0);
        assertEquals(List.of(0L, 1L), replayRequests);
        s.onReplayed(msg(1), 0);
        s.onReplayed(msg(2), 0);
        s.onReplayed(msg(3), 0);
        s.onReplayEnd(0);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L), applied());
        assertEquals(1, s.stats().gaps());
        assertEquals(0, s.stats().unrecoverableGaps());
    }

    @Test
    void aSlowJoinerIsAGapFromTheStart() {
        SourceSequencer s = new SourceSequencer("pod-a", items::add, replayRequests::add,
                options);
        s.start(0);
        s.onReplayEnd(0); // the publisher had nothing buffered yet
        s.onLive(msg(7), 0);
        assertEquals(List.of(0L, 0L), replayRequests);
        assertTrue(items.stream().anyMatch(i -> i instanceof StreamNotice n && n.message().contains("slow joiner")));
    }

    @Test
    void aSequenceThatGoesBackIsARestartThatClearsAndReplaysFromZero() {
        SourceSequencer s = withReplay();
        s.onReplayEnd(0);
        for (long i = 0; i < 5; i++) {
            s.onLive(msg(i), 0);
        }
        s.onLive(msg(2), 0); // the engine restarted and already published 0 and 1
        assertTrue(notices().contains(Kind.RESTART));
        assertEquals(0L, replayRequests.get(replayRequests.size() - 1));
        s.onReplayed(msg(0), 0);
        s.onReplayed(msg(1), 0);
        s.onReplayed(msg(2), 0);
        s.onReplayEnd(0);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 0L, 1L, 2L), applied());
        assertEquals(1, s.stats().restarts());
    }

    @Test
    void aRestartAtSeqZeroNeedsNoReplay() {
        SourceSequencer s = withReplay();
        s.onReplayEnd(0);
        s.onLive(msg(0), 0);
        s.onLive(msg(1), 0);
        int requests = replayRequests.size();
        s.onLive(msg(0), 0);
        assertEquals(requests, replayRequests.size());
        assertEquals(List.of(0L, 1L, 0L), applied());
    }

    /** After a cut the ROUTER may still be draining: the next answer losing its head is asked about once more. */
    @Test
    void anAnswerStartingLateRightAfterACutIsAskedAgainBeforeAnythingIsLost() {
        SourceSequencer s = withReplay();
        s.onReplayed(msg(0), 10 * MS);
        s.onReplayed(msg(1), 10 * MS);
        s.tick(200 * MS); // cut: no end marker
        assertEquals(List.of(0L, 2L), replayRequests);
        s.onReplayed(msg(5), 210 * MS); // 2..4 dropped at the high-water mark, not gone
        s.onReplayed(msg(6), 210 * MS);
        s.onReplayEnd(210 * MS);
        assertEquals(List.of(0L, 2L, 2L), replayRequests);
        for (long i = 2; i <= 6; i++) {
            s.onReplayed(msg(i), 220 * MS);
        }
        s.onReplayEnd(220 * MS);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), applied());
        assertEquals(0, s.stats().unrecoverableGaps());
    }

    @Test
    void anAnswerStartingLateTwiceAfterACutIsALoss() {
        SourceSequencer s = withReplay();
        s.onReplayed(msg(0), 10 * MS);
        s.tick(200 * MS);
        s.onReplayed(msg(5), 210 * MS);
        s.onReplayEnd(210 * MS);
        s.onReplayed(msg(5), 220 * MS); // asked again: the buffer really starts at 5 now
        s.onReplayEnd(220 * MS);
        assertEquals(List.of(0L, 1L, 1L), replayRequests);
        assertEquals(List.of(0L, 5L), applied());
        assertEquals(1, s.stats().unrecoverableGaps());
    }

    @Test
    void anAnswerStartingLateWithoutACutIsALossAtOnce() {
        SourceSequencer s = withReplay();
        s.onReplayed(msg(3), 10 * MS);
        s.onReplayEnd(10 * MS);
        assertEquals(List.of(0L), replayRequests);
        assertEquals(List.of(3L), applied());
        assertEquals(1, s.stats().unrecoverableGaps());
    }

    @Test
    void aReplayCutWithoutEndMarkerIsRequestedAgainFromWhereItStopped() {
        SourceSequencer s = withReplay();
        s.onLive(msg(6), 0);
        s.onReplayed(msg(0), 10 * MS);
        s.onReplayed(msg(1), 10 * MS);
        s.tick(50 * MS);
        assertEquals(List.of(0L), replayRequests);
        s.tick(200 * MS); // silent for longer than the idle timeout
        assertEquals(List.of(0L, 2L), replayRequests);
        assertTrue(notices().contains(Kind.REPLAY_CUT));
        for (long i = 2; i <= 5; i++) {
            s.onReplayed(msg(i), 210 * MS);
        }
        s.onReplayEnd(210 * MS);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), applied());
        assertEquals(0, s.stats().unrecoverableGaps());
    }

    /**
     * The first request goes out before the replay socket has connected, so its first reply waits for the connection
     * (a port-forward opens its stream in up to 5 s). That wait says nothing about how this publisher paces an
     * answer: taken for its answer latency, it made every later high-water-mark cut wait four times as long
     * (recovery of a 10,000-batch replay in ten rounds: 61 ms of silence each, after a 15 ms connect).
     */
    @Test
    void theFirstRequestsWaitForTheConnectionDoesNotSlowTheDetectionOfCuts() {
        SourceSequencer s = new SourceSequencer("pod-a", items::add, replayRequests::add, StreamOptions.DEFAULT);
        s.start(0);
        s.onReplayConnected(400 * MS); // the replay socket's handshake
        for (long i = 0; i < 20; i++) {
            s.onReplayed(msg(i), 400 * MS + i * 10_000); // connected after 400 ms, then 10 µs a reply
        }
        s.tick(400 * MS + 20 * MS);
        assertEquals(List.of(0L), replayRequests, "20 ms of silence is within the default 25 ms idle timeout");
        s.tick(400 * MS + 30 * MS);
        assertEquals(List.of(0L, 20L), replayRequests, "30 ms of silence after replies 10 µs apart is a cut");
    }

    /** After a reconnect the check of our last batch waits for the new connection too: that wait is not learned either. */
    @Test
    void theCheckAfterAReconnectDoesNotSlowTheDetectionOfCuts() {
        SourceSequencer s = new SourceSequencer("pod-a", items::add, replayRequests::add, StreamOptions.DEFAULT);
        s.start(0);
        s.onConnected(MS, false);
        for (long i = 0; i < 20; i++) {
            s.onReplayed(msg(i), 5 * MS);
        }
        s.onReplayEnd(5 * MS);
        assertFalse(s.recovering());
        s.onConnected(2_000 * MS, true); // lost and found again: is seq 19 still the batch we hold?
        assertEquals(List.of(0L, 19L), replayRequests);
        s.onReplayConnected(2_399 * MS); // the replay socket's new handshake
        s.onReplayed(msg(19), 2_400 * MS); // the same bytes
        for (long i = 20; i < 40; i++) {
            s.onReplayed(msg(i), 2_400 * MS);
        }
        s.tick(2_400 * MS + 30 * MS);
        assertEquals(List.of(0L, 19L, 40L), replayRequests, "30 ms of silence after a burst is a cut");
        assertEquals(40, applied().size());
    }

    /** The replay socket connects again while a request is outstanding: the wait before that is not the publisher's. */
    @Test
    void aReplayConnectionMadeAgainMidRecoveryDoesNotSlowTheDetectionOfCuts() {
        SourceSequencer s = new SourceSequencer("pod-a", items::add, replayRequests::add, StreamOptions.DEFAULT);
        s.start(0);
        s.onReplayConnected(MS);
        for (long i = 0; i < 20; i++) {
            s.onReplayed(msg(i), 2 * MS);
        }
        s.tick(35 * MS); // cut
        assertEquals(List.of(0L, 20L), replayRequests);
        s.onReplayConnected(1_000 * MS); // the connection dropped and was made again
        for (long i = 20; i < 40; i++) {
            s.onReplayed(msg(i), 1_001 * MS);
        }
        s.tick(1_001 * MS + 30 * MS);
        assertEquals(List.of(0L, 20L, 40L), replayRequests, "30 ms of silence after a burst is a cut");
    }

    /** A first request at 0 whose replay socket connects only at 5.5 s, after two 2 s waits of the default options. */
    private SourceSequencer connectedAfterTwoWaits() {
        SourceSequencer s = new SourceSequencer("pod-a", items::add, replayRequests::add, StreamOptions.DEFAULT);
        s.start(0);
        s.tick(2_000 * MS);
        s.tick(4_000 * MS);
        s.onReplayConnected(5_500 * MS);
        return s;
    }

    /**
     * Requests queued before the replay socket connects wait for the connection (a port-forward's stream, a pod that
     * is still starting): the answer timeout of the one outstanding then counts from the handshake, not from when it
     * was queued. Before, three attempts of 2 s from the first request gave up at 6 s when the connection came at
     * 5.5 s and the publisher's answer 0.7 s after it: its whole history was reported unavailable.
     */
    @Test
    void aConnectionMadeLateGivesTheOutstandingRequestItsWholeAnswerTimeout() {
        SourceSequencer s = connectedAfterTwoWaits();
        assertEquals(List.of(0L), replayRequests, "two more waits: the request is queued behind the connection");
        s.tick(6_100 * MS);
        assertTrue(s.recovering(), "the third attempt's 2 s count from the handshake at 5.5 s");
        assertEquals(List.of(), notices().stream().filter(k -> k == Kind.UNRECOVERABLE_GAP).toList());
        for (long i = 0; i < 3; i++) {
            s.onReplayed(msg(i), 6_200 * MS);
        }
        s.onReplayEnd(6_200 * MS);
        assertEquals(List.of(0L, 1L, 2L), applied());
        assertEquals(0, s.stats().unrecoverableGaps());
    }

    /** A connection that keeps dropping and coming back restarts a request's clock once: the give-up still comes. */
    @Test
    void aFlappingReplayConnectionStillEndsInAGiveUp() {
        SourceSequencer s = connectedAfterTwoWaits();
        s.onReplayConnected(7_000 * MS); // dropped and made again: not a second restart of the clock
        s.tick(7_600 * MS);
        assertFalse(s.recovering());
        assertEquals(1, s.stats().unrecoverableGaps());
    }

    /** Requests and abandoned connections, in order: {@code "request 5"}, {@code "abandon"}. */
    private final List<String> calls = new ArrayList<>();

    private SourceSequencer recording(StreamOptions o) {
        return new SourceSequencer("pod-a", items::add, new SourceSequencer.Replayer() {
            @Override
            public void request(long fromSeq) {
                calls.add("request " + fromSeq);
            }

            @Override
            public void abandon() {
                calls.add("abandon");
            }
        }, o);
    }

    /**
     * Replies carry no request id, so an answer to a request sent again would be read as the answer to whatever is
     * asked next: its end marker ended a later replay early and called a hole the publisher still held lost (found in
     * review). A request is asked again only on a new connection, so nothing the old one was asked can arrive; and
     * while the replay socket has not connected, the request waits in its queue and is not sent twice.
     */
    @Test
    void aSilentRequestIsAskedAgainOnANewConnectionAndNeverQueuedTwice() {
        SourceSequencer s = recording(StreamOptions.DEFAULT);
        s.start(0);
        s.tick(2_000 * MS);
        assertEquals(List.of("request 0"), calls, "not connected: the request still waits in the socket's queue");
        s.onReplayConnected(2_500 * MS);
        s.tick(4_400 * MS);
        assertEquals(List.of("request 0"), calls, "2 s from the handshake have not passed");
        s.tick(4_600 * MS);
        assertEquals(List.of("request 0", "abandon", "request 0"), calls);
        s.tick(6_700 * MS); // the new connection never came: give up, and drop what it queued
        assertEquals(List.of("request 0", "abandon", "request 0", "abandon"), calls);
        assertFalse(s.recovering());
        assertEquals(1, s.stats().unrecoverableGaps());
        assertEquals("replay endpoint not connected after 3 attempts of 2000 ms; history from seq 0 is unavailable",
                lastNotice(Kind.UNRECOVERABLE_GAP), "the user is told it never connected, not that it was silent");
    }

    /**
     * A restart found while the check of our last batch was outstanding: the check is over (finding in review: the
     * next silent retry asked "from seq -1", and the check's late end marker announced a second restart).
     */
    @Test
    void aRestartDuringTheReconnectCheckEndsTheCheck() {
        SourceSequencer s = recording(StreamOptions.DEFAULT);
        s.onReplayConnected(0);
        s.start(0);
        for (long i = 0; i < 10; i++) {
            s.onReplayed(msg(i), MS);
        }
        s.onReplayEnd(MS);
        s.onLive(msg(10), 2 * MS);
        s.onConnected(1_000 * MS, true); // lost and found again: is seq 10 still the batch we hold?
        assertEquals(List.of("request 0", "request 10"), calls);
        s.onLive(msg(5), 1_001 * MS); // the new process's live stream: a restart
        assertEquals(List.of("request 0", "request 10", "abandon", "request 0"), calls);
        s.onReplayConnected(1_002 * MS); // the new connection
        s.tick(3_100 * MS);
        assertEquals(List.of("request 0", "request 10", "abandon", "request 0", "abandon", "request 0"), calls);
        s.onReplayEnd(3_200 * MS); // nothing to replay: the new process's seq 0..4 are gone
        assertEquals(1, s.stats().restarts(), s.stats().toString());
    }

    /** A request on a connection that has answered before: its latency is the publisher's (or its port-forward's). */
    @Test
    void aLaterRequestsLatencyStillTeachesPatience() {
        SourceSequencer s = new SourceSequencer("pod-a", items::add, replayRequests::add, StreamOptions.DEFAULT);
        s.onReplayConnected(0); // connected before the first request: its latency is the publisher's as well
        s.start(0);
        for (long i = 0; i < 20; i++) {
            s.onReplayed(msg(i), 5 * MS);
        }
        s.tick(35 * MS); // cut after 30 ms of silence
        assertEquals(List.of(0L, 20L), replayRequests);
        for (long i = 20; i < 40; i++) {
            s.onReplayed(msg(i), 115 * MS); // the second answer took 80 ms to begin
        }
        s.tick(115 * MS + 200 * MS);
        assertEquals(List.of(0L, 20L), replayRequests, "four times the 80 ms answer latency has not passed");
        s.tick(115 * MS + 330 * MS);
        assertEquals(List.of(0L, 20L, 40L), replayRequests);
    }

    @Test
    void aHoleInTheMiddleOfAReplayIsFetchedAgainNotReportedLost() {
        SourceSequencer s = withReplay();
        s.onLive(msg(9), 0);
        s.onReplayed(msg(0), 0);
        s.onReplayed(msg(1), 0);
        s.onReplayed(msg(5), 0); // 2..4 dropped at the ROUTER's high-water mark
        s.onReplayed(msg(6), 0);
        s.onReplayEnd(0);
        assertEquals(List.of(0L, 2L), replayRequests);
        for (long i = 2; i <= 8; i++) {
            s.onReplayed(msg(i), 0);
        }
        s.onReplayEnd(0);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), applied());
        assertEquals(0, s.stats().lostBatches());
    }

    @Test
    void batchesOlderThanTheReplayBufferAreReportedLost() {
        SourceSequencer s = withReplay();
        s.onLive(msg(20_005), 0);
        s.onReplayed(msg(10_000), 0); // the buffer starts here
        for (long i = 10_001; i < 20_005; i++) {
            s.onReplayed(msg(i), 0);
        }
        s.onReplayEnd(0);
        assertEquals(10_000, s.stats().lostBatches());
        assertEquals(1, s.stats().unrecoverableGaps());
        assertEquals(20_005, s.stats().lastSeq());
        StreamNotice lost = (StreamNotice) items.stream()
                .filter(i -> i instanceof StreamNotice n && n.kind() == Kind.UNRECOVERABLE_GAP).findFirst().orElseThrow();
        assertEquals(0, lost.fromSeq());
        assertEquals(9_999, lost.toSeq());
    }

    @Test
    void aSilentReplayEndpointIsAskedAgainThenReportedAndTheStreamGoesOn() {
        SourceSequencer s = new SourceSequencer("pod-a", items::add, replayRequests::add, options);
        s.onReplayConnected(0); // connected, and silent
        s.start(0);
        s.onLive(msg(3), 0);
        s.onLive(msg(4), 0);
        s.tick(150 * MS);
        s.onReplayConnected(151 * MS); // each request after the first goes out on a new connection
        s.tick(300 * MS);
        s.onReplayConnected(301 * MS);
        assertEquals(3, replayRequests.size());
        s.tick(450 * MS); // third silent attempt: give up
        assertFalse(s.recovering());
        assertEquals(List.of(3L, 4L), applied());
        assertEquals(3, s.stats().lostBatches());
        s.onLive(msg(5), 500 * MS);
        assertEquals(List.of(3L, 4L, 5L), applied());
    }

    @Test
    void withoutReplayEndpointAGapIsReportedAndTheMessageApplied() {
        SourceSequencer s = new SourceSequencer("pod-a", items::add, null, options);
        s.start(0);
        s.onLive(msg(0), 0);
        s.onLive(msg(4), 0);
        assertEquals(List.of(0L, 4L), applied());
        assertEquals(3, s.stats().lostBatches());
        assertEquals(List.of(Kind.GAP, Kind.UNRECOVERABLE_GAP), notices());
    }

    @Test
    void liveMessagesDroppedAroundTheReplayAreAskedForOnceMore() {
        SourceSequencer s = withReplay();
        s.onLive(msg(8), 0); // 5..7 were neither live nor, yet, in the replay snapshot
        for (long i = 0; i <= 4; i++) {
            s.onReplayed(msg(i), 0);
        }
        s.onReplayEnd(0);
        assertEquals(List.of(0L, 5L), replayRequests);
        s.onReplayed(msg(5), 0);
        s.onReplayed(msg(6), 0);
        s.onReplayed(msg(7), 0);
        s.onReplayed(msg(8), 0);
        s.onReplayEnd(0);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L), applied());
    }

    @Test
    void fromSeqStartsTheReplayThere() {
        SourceSequencer s = new SourceSequencer("pod-a", items::add, replayRequests::add, options.fromSeq(40));
        s.start(0);
        assertEquals(List.of(40L), replayRequests);
        s.onReplayed(msg(40), 0);
        s.onReplayEnd(0);
        s.onLive(msg(41), 0);
        assertEquals(List.of(40L, 41L), applied());
    }

    private static RawMessage other(long seq) {
        return new RawMessage("pod-a", "", seq, Instant.EPOCH,
                Wire.encode(new EventBatch(seq + 0.5, List.of(new AllBlocksCleared()), 0)));
    }

    private SourceSequencer liveUpTo(long lastSeq) {
        SourceSequencer s = withReplay();
        s.onReplayEnd(0);
        for (long i = 0; i <= lastSeq; i++) {
            s.onLive(msg(i), 0);
        }
        return s;
    }

    @Test
    void onReconnectTheSamePublisherIsRecognisedByItsLastBatch() {
        SourceSequencer s = liveUpTo(4);
        s.onConnected(0, true);
        assertEquals(4L, replayRequests.get(replayRequests.size() - 1));
        s.onReplayed(msg(4), 0);
        s.onReplayed(msg(5), 0);
        s.onReplayEnd(0);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L), applied());
        assertEquals(0, s.stats().restarts());
    }

    @Test
    void onReconnectOtherBytesUnderOurLastSeqMeanTheEngineRestartedAhead() {
        SourceSequencer s = liveUpTo(4);
        s.onConnected(0, true);
        s.onReplayed(other(4), 0); // a new process that already published past our last seq
        s.onReplayed(other(5), 0);
        s.onReplayEnd(0);
        assertTrue(notices().contains(Kind.RESTART));
        assertEquals(0L, replayRequests.get(replayRequests.size() - 1));
        for (long i = 0; i <= 5; i++) {
            s.onReplayed(other(i), 0);
        }
        s.onReplayEnd(0);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 0L, 1L, 2L, 3L, 4L, 5L), applied());
        assertEquals(1, s.stats().restarts());
        assertEquals(0, s.stats().lostBatches());
    }

    @Test
    void onReconnectAPublisherThatNoLongerHoldsOurLastSeqRestarted() {
        SourceSequencer s = liveUpTo(9);
        s.onConnected(0, true);
        s.onReplayEnd(0); // nothing at seq >= 9: the new process is behind
        assertTrue(notices().contains(Kind.RESTART));
        assertEquals(0L, replayRequests.get(replayRequests.size() - 1));
        s.onReplayed(other(0), 0);
        s.onReplayed(other(1), 0);
        s.onReplayEnd(0);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 0L, 1L), applied());
    }

    @Test
    void batchesLostBeforeTheSubscriptionSettledAreCaughtUpWhenNoLiveMessageCame() {
        SourceSequencer s = withReplay();
        s.onConnected(0, false);
        s.onReplayEnd(10 * MS); // the publisher had nothing yet
        s.tick(400 * MS);
        assertEquals(List.of(0L), replayRequests);
        s.tick(600 * MS); // still no live message: batches 0.. may have been dropped before we subscribed
        assertEquals(List.of(0L, 0L), replayRequests);
        s.onReplayed(msg(0), 610 * MS);
        s.onReplayEnd(610 * MS);
        assertEquals(List.of(0L), applied());
    }

    @Test
    void aLiveMessageAfterConnectMakesTheCatchUpUnnecessary() {
        SourceSequencer s = withReplay();
        s.onConnected(0, false);
        s.onReplayEnd(10 * MS);
        s.onLive(msg(0), 20 * MS);
        s.tick(900 * MS);
        assertEquals(List.of(0L), replayRequests);
    }

    @Test
    void aLiveMessageThatArrivesAfterTheReplayDeliveredItIsADuplicateNotARestart() {
        SourceSequencer s = withReplay();
        s.onReplayEnd(0);
        s.onLive(msg(0), 0);
        s.onLive(msg(3), 0); // gap: replay 1..
        s.onReplayed(msg(1), 0);
        s.onReplayed(msg(2), 0);
        s.onReplayed(msg(3), 0);
        s.onReplayed(msg(4), 0); // the replay ran ahead of the live socket
        s.onReplayed(msg(5), 0);
        s.onReplayEnd(0);
        s.onLive(msg(4), 0); // still in flight on the live socket
        s.onLive(msg(5), 0);
        s.onLive(msg(6), 0);
        assertEquals(List.of(0L, 1L, 2L, 3L, 4L, 5L, 6L), applied());
        assertFalse(notices().contains(Kind.RESTART));
    }
}
