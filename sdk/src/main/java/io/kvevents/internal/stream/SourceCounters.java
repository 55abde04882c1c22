package io.kvevents.internal.stream;

import io.kvevents.sdk.AllBlocksCleared;
import io.kvevents.sdk.BlockRemoved;
import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.EventBatch;
import io.kvevents.sdk.KvEvent;
import io.kvevents.sdk.SourceStats;
import java.time.Duration;

/** The counters of one source: written by its owner thread, read as a snapshot by anyone. */
final class SourceCounters {
    private final String source;
    private long batches;
    private long stored;
    private long removed;
    private long cleared;
    private long unknown;
    private long decodeErrors;
    private long gaps;
    private long replays;
    private long replaysAnswered;
    private boolean replaying;
    private long unrecoverableGaps;
    private long lostBatches;
    private long restarts;
    private long lastSeq = -1;
    private double lastTs = Double.NaN;
    /** When the last live batch arrived (null before the first) and the engine timestamp it carried. */
    private java.time.Instant liveArrival;
    private double liveTs;
    /** How long a live batch's delay stands for the source's event lag: an idle source has none. */
    private static final Duration DELAY_STANDS = Duration.ofSeconds(60);

    SourceCounters(String source) {
        this.source = source;
    }

    /** @param arrived when it arrived on the live stream, null for a replayed batch (old by nature) */
    synchronized void applied(long seq, EventBatch batch, java.time.Instant arrived) {
        batches++;
        lastSeq = seq;
        lastTs = batch.ts();
        if (arrived != null) {
            liveArrival = arrived;
            liveTs = batch.ts();
        }
        for (KvEvent e : batch.events()) {
            if (e instanceof BlockStored) {
                stored++;
            } else if (e instanceof BlockRemoved) {
                removed++;
            } else if (e instanceof AllBlocksCleared) {
                cleared++;
            } else {
                unknown++;
            }
        }
    }

    synchronized void decodeError(long seq) {
        decodeErrors++;
        if (seq >= 0) {
            lastSeq = seq;
        }
    }

    synchronized void gap() {
        gaps++;
    }

    synchronized void replay() {
        replays++;
    }

    synchronized void replaying(boolean now) {
        replaying = now;
    }

    synchronized void replayAnswered() {
        replaysAnswered++;
    }

    synchronized void unrecoverable(long lost) {
        unrecoverableGaps++;
        lostBatches += lost;
    }

    synchronized void restart() {
        restarts++;
        lastSeq = -1;
    }

    synchronized SourceStats snapshot() {
        Duration lag = Double.isNaN(lastTs) ? null
                : Duration.ofNanos(Math.max(0, (long) ((System.currentTimeMillis() / 1000.0 - lastTs) * 1e9)));
        return new SourceStats(source, batches, stored, removed, cleared, unknown, decodeErrors, gaps, replays, replaysAnswered,
                unrecoverableGaps, lostBatches, restarts, lastSeq, lag,
                liveArrival == null || liveArrival.plus(DELAY_STANDS).isBefore(java.time.Instant.now()) ? null
                        : Duration.ofNanos(Math.max(0, (long) ((liveArrival.getEpochSecond() + liveArrival.getNano() / 1e9
                                - liveTs) * 1e9))),
                Double.isNaN(lastTs) ? null : lastTs, replaying);
    }
}
