package io.kvevents.sdk;

import java.time.Duration;

/**
 * Counters of one source, as of the moment they were read.
 *
 * @param lastSeq last applied sequence number, -1 before the first
 * @param lag now minus the engine timestamp of the last applied batch, null before the first
 */
public record SourceStats(
        String source,
        long batches,
        long stored,
        long removed,
        long cleared,
        long unknown,
        long decodeErrors,
        long gaps,
        long replays,
        long unrecoverableGaps,
        long lostBatches,
        long restarts,
        long lastSeq,
        Duration lag) {

    /** Events of every type. */
    public long events() {
        return stored + removed + cleared + unknown;
    }

    @Override
    public String toString() {
        return "SourceStats[" + source + " batches=" + batches + " events=" + events() + " (stored=" + stored
                + " removed=" + removed + " cleared=" + cleared + " unknown=" + unknown + ") decodeErrors="
                + decodeErrors + " gaps=" + gaps + " replays=" + replays + " unrecoverable=" + unrecoverableGaps
                + " lost=" + lostBatches + " restarts=" + restarts + " lastSeq=" + lastSeq
                + (lag == null ? "" : " lag=" + lag) + "]";
    }
}
