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
    private long unrecoverableGaps;
    private long lostBatches;
    private long restarts;
    private long lastSeq = -1;
    private double lastTs = Double.NaN;

    SourceCounters(String source) {
        this.source = source;
    }

    synchronized void applied(long seq, EventBatch batch) {
        batches++;
        lastSeq = seq;
        lastTs = batch.ts();
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
                unrecoverableGaps, lostBatches, restarts, lastSeq, lag);
    }
}
