package io.kvevents.sdk;

import java.time.Duration;

/**
 * Counters of one source, as of the moment they were read.
 *
 * @param replays replays requested
 * @param replaysAnswered replays the publisher ended with its end marker: its replay endpoint answers
 * @param lastSeq last applied sequence number, -1 before the first
 * @param lag now minus the engine timestamp of the last applied batch (the age of its last event), null before the first
 * @param delay the last batch that came live: its arrival minus its engine timestamp (the event lag, clock skew
 *     between the engine's host and this one included); null before the first live batch, and once none came for a
 *     minute (an idle source has no lag)
 * @param lastEventTs the engine timestamp of the last applied batch, in seconds since the epoch, null before the first
 * @param replaying a replay is under way: asked for and not yet ended, cut, or given up (live batches wait for it)
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
        long replaysAnswered,
        long unrecoverableGaps,
        long lostBatches,
        long restarts,
        long lastSeq,
        Duration lag,
        Duration delay,
        Double lastEventTs,
        boolean replaying) {

    /** Events of every type. */
    public long events() {
        return stored + removed + cleared + unknown;
    }

    @Override
    public String toString() {
        return "SourceStats[" + source + " batches=" + batches + " events=" + events() + " (stored=" + stored
                + " removed=" + removed + " cleared=" + cleared + " unknown=" + unknown + ") decodeErrors="
                + decodeErrors + " gaps=" + gaps + " replays=" + replays + " answered=" + replaysAnswered + " unrecoverable=" + unrecoverableGaps
                + " lost=" + lostBatches + " restarts=" + restarts + " lastSeq=" + lastSeq
                + " lag=" + lagText() + (delay == null ? "" : " delay=" + delay.toMillis() + "ms")
                + (replaying ? " replaying" : "") + "]";
    }

    /** The lag for people: {@code 850ms}, {@code 42s}, {@code 7m}, {@code 3h}, {@code 12d}; {@code -} before the first batch. */
    public String lagText() {
        if (lag == null) {
            return "-";
        }
        long ms = lag.toMillis();
        long s = ms / 1000;
        return ms < 1000 ? ms + "ms" : s < 120 ? s + "s" : s < 7200 ? s / 60 + "m" : s < 172_800 ? s / 3600 + "h"
                : s / 86_400 + "d";
    }
}
