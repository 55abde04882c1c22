package io.kvevents.internal.stream;

import io.kvevents.internal.wire.WireDecoder;
import io.kvevents.sdk.EventBatch;
import io.kvevents.sdk.MalformedMessage;
import io.kvevents.sdk.MalformedPayloadException;
import io.kvevents.sdk.RawMessage;
import io.kvevents.sdk.ReceivedBatch;
import io.kvevents.sdk.SourceStats;
import io.kvevents.sdk.StreamNotice;
import io.kvevents.sdk.StreamNotice.Kind;
import io.kvevents.sdk.StreamOptions;
import java.util.ArrayDeque;
import java.util.Arrays;

/**
 * The ordering rules of one source (docs/architecture.md (ordering)), free of I/O so that live sockets and recordings share
 * them: every batch is applied once, in sequence order; gaps are replayed; a live sequence that goes
 * back is a publisher restart; what cannot be recovered is reported, never skipped silently.
 *
 * <p>Not thread-safe: one owner thread drives it (only {@link #stats()} may be called from elsewhere).
 */
public final class SourceSequencer {

    /** Asks the publisher to replay from a sequence number. */
    @FunctionalInterface
    public interface Replayer {
        void request(long fromSeq);

        /**
         * Forgets every request made so far: the next one goes out on a new connection, so nothing an earlier one
         * queued, or was answered with, arrives. Replies carry no request id: an answer to an abandoned request would
         * be taken for the answer to the next one.
         */
        default void abandon() {
        }
    }

    /** How long after a connect the subscription is taken to have reached the publisher. */
    private static final long SUBSCRIPTION_SETTLE_NANOS = 500_000_000L;

    private final String source;
    private final ItemSink sink;
    private final Replayer replayer;
    private final StreamOptions options;
    private final SourceCounters counters;
    private final ArrayDeque<RawMessage> held = new ArrayDeque<>();

    private long last = -1;
    /** The seq of the last message received live (not replayed), -1 before the first. */
    private long lastLive = -1;
    private boolean recovering;
    private long lastActivityNanos;
    /**
     * The longest wait seen on this publisher's replay endpoint: from a request to its first reply, or
     * between two replies. A replay counts as cut only after several times that without a reply: slowness
     * (a loaded engine, a port-forward) is not a cut.
     */
    private long slowestReplyNanos;
    /**
     * When the replay socket last exchanged its ZMTP greeting with the publisher. A request sent before that waited for
     * the connection too (a port-forward opens its stream in up to 5 s): its latency counts from the greeting on.
     */
    private long replayConnectedNanos = Long.MIN_VALUE;
    /** The outstanding request's clock was restarted by a handshake: only the first after it restarts it. */
    private boolean clockRestartedByHandshake;
    /**
     * The replay socket has exchanged its greeting and not lost the connection since: a request sent now reaches the
     * publisher, where one sent before waits in the socket's queue and goes out when it connects.
     */
    private boolean replayLinkUp;
    private long lastReplyNanos;
    private boolean awaitingFirstReply;
    /** A reply came and its answer's end marker has not: the next reply's wait is a pause within one answer. */
    private boolean answerOpen;
    /** Replies since the last request: the first few teach how fast this publisher answers. */
    private int repliesSinceRequest;
    /**
     * Replies an answer gives before its pauses alone can mean a cut: a high-water-mark cut drops the tail of a
     * burst (vLLM's ROUTER holds 1000 replies, libzmq's default SNDHWM: vllm/distributed/kv_events.py at 0181ea3),
     * so the first few replies' pauses are this publisher's pace.
     */
    private static final int LEARNING_REPLIES = 8;
    /** How many times the slowest wait a silence must last to count as a cut. */
    private static final int CUT_FACTOR = 4;
    private boolean progressSinceRequest;
    private boolean replayHoled;
    private Kind rerequestKind;
    private String rerequestReason;
    private boolean verifying;
    private byte[] lastPayload;
    private long catchUpAtNanos;
    private int silentAttempts;
    private long retriedGapAt = -1;
    /** The request under way asks again after a high-water-mark cut: the ROUTER may still be draining. */
    private boolean requestFollowsCut;
    /** The seq whose late start was already asked about once after a cut, -1 when none. */
    private long retriedLateStartAt = -1;

    /**
     * @param replayer null when the source has no replay endpoint
     */
    public SourceSequencer(String source, ItemSink sink, Replayer replayer, StreamOptions options) {
        this.source = source;
        this.sink = sink;
        this.replayer = replayer;
        this.options = options;
        this.counters = new SourceCounters(source);
    }

    /** Starts the source: replays from {@code options.fromSeq()} when a replay endpoint exists. */
    public void start(long nowNanos) {
        last = options.fromSeq() - 1;
        if (replayer != null) {
            requestReplay(options.fromSeq(), nowNanos, "replaying from seq " + options.fromSeq());
        }
    }

    /**
     * A message from the live stream. The live stream of one publisher process never repeats a seq, so
     * a live seq at or below the previous live seq means a new process; a live seq at or below the last
     * applied one but above the previous live one was already applied by a replay that ran ahead of it.
     */
    public void onLive(RawMessage m, long nowNanos) {
        catchUpAtNanos = 0; // the subscription works: anything lost before this message shows as a gap
        long seq = m.seq();
        boolean regressed = lastLive >= 0 && seq <= lastLive;
        lastLive = seq;
        if (regressed) {
            held.clear();
            restart(m, nowNanos);
        } else if (recovering) {
            hold(m);
        } else if (seq == last + 1) {
            apply(m);
        } else if (seq > last + 1) {
            gap(m, nowNanos);
        } // else: a duplicate of a replayed batch
    }

    /** Learns how long this publisher's replay replies take to come (see {@link #slowestReplyNanos}). */
    private void replyArrived(long nowNanos, boolean endMarker) {
        if (answerOpen) {
            slowestReplyNanos = Math.max(slowestReplyNanos, nowNanos - lastReplyNanos); // a pause within one answer
        } else if (awaitingFirstReply) {
            long sent = Math.max(lastActivityNanos, replayConnectedNanos); // when it could reach the publisher
            slowestReplyNanos = Math.max(slowestReplyNanos, nowNanos - sent); // a request's latency
        }
        awaitingFirstReply = false;
        answerOpen = !endMarker;
        lastReplyNanos = nowNanos;
        repliesSinceRequest++;
    }

    /** A batch replayed by the publisher. */
    public void onReplayed(RawMessage m, long nowNanos) {
        replyArrived(nowNanos, false);
        if (!recovering) {
            return; // a late answer to an earlier request: everything it holds is applied already
        }
        lastActivityNanos = nowNanos;
        long seq = m.seq();
        if (verifying) {
            verifying = false;
            if (seq == last && Arrays.equals(m.payload(), lastPayload)) {
                progressSinceRequest = true; // the same publisher: what follows is what we missed
                silentAttempts = 0;
                return;
            }
            if (seq <= last) {
                restartedWhileAway("it holds a different batch under seq " + seq);
                discardRestOfReplay(Kind.REPLAY, "replaying the restarted publisher from seq 0");
                return;
            }
        }
        if (seq <= last || replayHoled) {
            return;
        }
        if (seq > last + 1) {
            if (progressSinceRequest) {
                // A hole in the middle of a replay: the ROUTER dropped replies at its high-water mark.
                // They are still buffered upstream; ask again once this replay is over.
                discardRestOfReplay(Kind.REPLAY_CUT, "replay dropped batches after seq " + last
                        + " (publisher high-water mark)");
                return;
            }
            if (requestFollowsCut && retriedLateStartAt != last + 1) {
                // Asked again right after a cut, the ROUTER may still be full of the earlier answer and drop the
                // head of this one too: ask once more when this answer ends, before calling anything lost.
                retriedLateStartAt = last + 1;
                discardRestOfReplay(Kind.REPLAY_CUT, "replay began at seq " + seq + " instead of " + (last + 1)
                        + " right after a high-water-mark cut");
                return;
            }
            // The first answer starts later than asked: the publisher's buffer no longer holds the start.
            lost(last + 1, seq - 1, "older than the publisher's replay buffer");
        }
        apply(m, false);
        progressSinceRequest = true;
        silentAttempts = 0;
    }

    /** The publisher's end-of-replay marker. */
    public void onReplayEnd(long nowNanos) {
        replyArrived(nowNanos, true);
        if (!recovering) {
            return;
        }
        counters.replayAnswered();
        lastActivityNanos = nowNanos;
        if (verifying) {
            verifying = false;
            restartedWhileAway("it no longer holds seq " + last);
            emit(Kind.REPLAY, 0, -1, "replaying the restarted publisher from seq 0");
            sendRequest(0, nowNanos);
        } else if (replayHoled) {
            emit(rerequestKind, last + 1, -1, rerequestReason + "; re-requesting from " + (last + 1));
            sendRequest(last + 1, nowNanos);
            requestFollowsCut = rerequestKind == Kind.REPLAY_CUT;
        } else {
            finishRecovery(nowNanos);
        }
    }

    /**
     * The replay socket exchanged its ZMTP greeting with the publisher (connected, or connected again): a request
     * queued before it could not be answered sooner, and its wait for the connection is not the publisher's latency.
     */
    public void onReplayConnected(long nowNanos) {
        replayConnectedNanos = nowNanos;
        replayLinkUp = true;
        if (recovering && awaitingFirstReply && !clockRestartedByHandshake) {
            // An answer can only come on this connection: the request's answer timeout starts here. Once per
            // request, so that a connection that keeps dropping and coming back still ends in a give-up.
            clockRestartedByHandshake = true;
            lastActivityNanos = Math.max(lastActivityNanos, nowNanos);
        }
    }

    /** The replay socket lost its connection: requests queue until it connects again. */
    public void onReplayDisconnected() {
        replayLinkUp = false;
    }

    /** Drops the replay connection and what it was asked (see {@link Replayer#abandon}). */
    private void abandonRequests() {
        replayer.abandon();
        replayLinkUp = false;
    }

    /**
     * The transport connected. Its subscription reaches the publisher a moment later, and batches
     * published meanwhile are dropped (ZeroMQ's slow joiner); an idle engine would leave them unnoticed
     * until its next batch, so unless a live message shows up first, replay from last + 1 once it settled.
     */
    public void onConnected(long nowNanos, boolean reconnect) {
        if (reconnect) {
            onReconnected(nowNanos);
        }
        if (replayer != null) {
            catchUpAtNanos = nowNanos + SUBSCRIPTION_SETTLE_NANOS;
        }
    }

    /**
     * The transport reconnected after losing the publisher. Its sequence numbers alone cannot tell
     * whether it restarted meanwhile (a new process may already be past our last seq), so ask for our
     * last batch again: the same publisher returns the same bytes; a restarted one returns other bytes
     * under that seq, or nothing.
     */
    void onReconnected(long nowNanos) {
        if (replayer == null || recovering) {
            return;
        }
        if (last < 0) {
            requestReplay(0, nowNanos, "reconnected; replaying from seq 0");
            return;
        }
        verifying = true;
        requestReplay(last, nowNanos, "reconnected; checking that the publisher still holds seq " + last);
    }

    private void restartedWhileAway(String why) {
        counters.restart();
        emit(Kind.RESTART, 0, -1, "publisher restarted while disconnected (" + why + "): clearing this source's state");
        last = -1;
        lastLive = -1; // the new process's live stream starts afresh
        lastPayload = null;
        retriedGapAt = -1;
        retriedLateStartAt = -1;
    }

    /** Ignores the rest of the replay under way and asks again, from last + 1, once it has ended. */
    private void discardRestOfReplay(Kind kind, String reason) {
        replayHoled = true;
        rerequestKind = kind;
        rerequestReason = reason;
    }

    /** Lets time pass: a replay that paused was cut short; a request without answer is sent again. */
    public void tick(long nowNanos) {
        if (!recovering) {
            if (catchUpAtNanos != 0 && nowNanos >= catchUpAtNanos) {
                catchUpAtNanos = 0;
                recovering(true); // quietly: usually there is nothing to catch up
                silentAttempts = 0;
                sendRequest(last + 1, nowNanos);
            }
            return;
        }
        boolean answering = progressSinceRequest || replayHoled;
        long idle = Math.max(options.replayIdleTimeout().toNanos(), CUT_FACTOR * slowestReplyNanos);
        if (repliesSinceRequest < LEARNING_REPLIES) {
            idle = Math.max(idle, 10 * options.replayIdleTimeout().toNanos()); // still learning this publisher's pace
        }
        long timeout = answering ? Math.min(options.replayAnswerTimeout().toNanos(), idle) : options.replayAnswerTimeout().toNanos();
        if (nowNanos - lastActivityNanos < timeout) {
            return;
        }
        if (answering) {
            emit(Kind.REPLAY_CUT, last + 1, -1, "replay stopped after seq " + last + " without its end marker for "
                    + (nowNanos - lastActivityNanos) / 1_000_000 + " ms (publisher high-water mark); re-requesting from "
                    + (last + 1));
            sendRequest(last + 1, nowNanos);
            requestFollowsCut = true;
        } else if (++silentAttempts < options.maxReplayAttempts()) {
            long from = verifying ? last : last + 1;
            String attempt = " (attempt " + (silentAttempts + 1) + " of " + options.maxReplayAttempts() + ")";
            if (replayLinkUp) {
                emit(Kind.REPLAY, from, -1, "replay endpoint silent for " + options.replayAnswerTimeout().toMillis()
                        + " ms; asking again from seq " + from + " on a new connection" + attempt);
                abandonRequests(); // an answer to the first request, if it still came, would pass for this one's
                sendRequest(from, nowNanos);
            } else {
                // the request waits in the socket's queue and goes out when it connects: sent again, it would be
                // answered twice
                emit(Kind.REPLAY, from, -1, "replay endpoint not connected for "
                        + options.replayAnswerTimeout().toMillis() + " ms; the request from seq " + from
                        + " waits for it" + attempt);
                lastActivityNanos = nowNanos;
                clockRestartedByHandshake = false;
            }
        } else {
            boolean connected = replayLinkUp;
            abandonRequests(); // nothing queued may be answered once this replay is given up
            silentAttempts = 0;
            verifying = false;
            retriedGapAt = last + 1; // answered with nothing: do not ask again for this gap
            if (held.isEmpty()) {
                counters.unrecoverable(0);
                emit(Kind.UNRECOVERABLE_GAP, last + 1, -1, "replay endpoint " + (connected ? "did not answer after "
                        + options.maxReplayAttempts() + " attempts" : "not connected after " + options.maxReplayAttempts()
                        + " attempts of " + options.replayAnswerTimeout().toMillis() + " ms") + "; history from seq "
                        + (last + 1) + " is unavailable");
            }
            finishRecovery(nowNanos);
        }
    }

    /** A replay is under way, or no longer; the counters say so to other threads ({@code follow} waits for it). */
    private void recovering(boolean now) {
        recovering = now;
        counters.replaying(now);
    }

    /** True while a replay is outstanding. */
    public boolean recovering() {
        return recovering;
    }

    /** The last applied sequence number, -1 before the first. */
    public long lastSeq() {
        return last;
    }

    /** The source's counters. */
    public SourceStats stats() {
        return counters.snapshot();
    }

    /** Counts a message whose frames are not a vLLM message at all. */
    public void malformedFrames(String reason) {
        counters.decodeError(-1);
        sink.emit(new MalformedMessage(source, null, reason));
    }

    private void hold(RawMessage m) {
        if (held.size() >= options.bufferLimit()) {
            return; // the next replay brings it back: a gap is detected once live again
        }
        held.addLast(m);
    }

    private void gap(RawMessage m, long nowNanos) {
        counters.gap();
        long from = last + 1;
        String what = last < 0 && from == 0
                ? "joined at seq " + m.seq() + " (slow joiner): seqs 0.." + (m.seq() - 1) + " not seen live"
                : "gap: seqs " + from + ".." + (m.seq() - 1) + " missing";
        if (replayer == null) {
            emit(Kind.GAP, from, m.seq() - 1, what + "; no replay endpoint");
            lost(from, m.seq() - 1, "no replay endpoint");
            apply(m);
            return;
        }
        held.addLast(m);
        emit(Kind.GAP, from, m.seq() - 1, what + "; replaying from " + from);
        requestReplay(from, nowNanos, null);
    }

    private void restart(RawMessage m, long nowNanos) {
        if (recovering && replayer != null) {
            abandonRequests(); // asked of the process that is gone (or of this one before it was known): not an answer
        }
        verifying = false; // the check of our last batch is answered: the publisher restarted
        counters.restart();
        emit(Kind.RESTART, 0, -1, "publisher restarted (seq went from " + last + " to " + m.seq()
                + "): clearing this source's state" + (m.seq() == 0 ? "" : " and replaying from 0"));
        last = -1;
        retriedGapAt = -1;
        retriedLateStartAt = -1;
        recovering(false);
        if (m.seq() == 0 || replayer == null) {
            lastLive = -1;
            onLive(m, nowNanos);
            return;
        }
        held.addLast(m);
        requestReplay(0, nowNanos, null);
    }

    private void requestReplay(long from, long nowNanos, String notice) {
        if (notice != null) {
            emit(Kind.REPLAY, from, -1, notice);
        }
        recovering(true);
        silentAttempts = 0;
        sendRequest(from, nowNanos);
    }

    private void sendRequest(long from, long nowNanos) {
        counters.replay();
        requestFollowsCut = false;
        progressSinceRequest = false;
        replayHoled = false;
        lastActivityNanos = nowNanos;
        clockRestartedByHandshake = false;
        awaitingFirstReply = true;
        answerOpen = false; // a pause taken for a cut is not a pause within an answer: it must not teach patience
        repliesSinceRequest = 0;
        replayer.request(from);
    }

    private void finishRecovery(long nowNanos) {
        // the counters say "replaying" until the held batches are handed on (follow() then takes what is queued)
        recovering = false;
        try {
            applyHeld(nowNanos);
        } finally {
            counters.replaying(recovering);
        }
    }

    /** The live batches held during the replay, in order, now that it is over (or a last request for a hole). */
    private void applyHeld(long nowNanos) {
        while (!held.isEmpty()) {
            RawMessage m = held.peekFirst();
            if (m.seq() <= last) {
                held.pollFirst();
            } else if (m.seq() == last + 1) {
                apply(held.pollFirst());
            } else if (retriedGapAt != last + 1) {
                // Live messages were dropped around the replay: ask once more for exactly what is missing.
                retriedGapAt = last + 1;
                counters.gap();
                requestReplay(last + 1, nowNanos, "seqs " + (last + 1) + ".." + (m.seq() - 1)
                        + " still missing after the replay; replaying from " + (last + 1));
                return;
            } else {
                lost(last + 1, m.seq() - 1, "not in the publisher's replay");
                apply(held.pollFirst());
            }
        }
    }

    private void lost(long from, long to, String why) {
        counters.unrecoverable(to - from + 1);
        emit(Kind.UNRECOVERABLE_GAP, from, to,
                "lost seqs " + from + ".." + to + " (" + (to - from + 1) + " batches): " + why);
    }

    private void apply(RawMessage m) {
        apply(m, true);
    }

    /** @param live it came on the live stream (its arrival time against its engine timestamp is the delay) */
    private void apply(RawMessage m, boolean live) {
        last = m.seq();
        lastPayload = m.payload();
        EventBatch batch;
        try {
            batch = WireDecoder.decode(m.payload());
        } catch (MalformedPayloadException e) {
            counters.decodeError(m.seq());
            sink.emit(new MalformedMessage(source, m, "seq " + m.seq() + ": malformed payload: " + e.getMessage()));
            return;
        }
        counters.applied(m.seq(), batch, live ? m.received() : null);
        sink.emit(new ReceivedBatch(m, batch));
    }

    private void emit(Kind kind, long from, long to, String message) {
        sink.emit(new StreamNotice(source, kind, message, from, to));
    }
}
