package io.kvevents.sdk;

import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link EventStream} connects and recovers.
 *
 * @param fromSeq the sequence number to replay from on connect (0: the publisher's whole buffer)
 * @param replayAnswerTimeout how long a replay request may go unanswered before it is sent again
 * @param replayIdleTimeout how long a replay that has started answering may pause before it is taken as
 *     cut short (the publisher sends its buffer in one burst) and re-requested from where it stopped
 * @param maxReplayAttempts unanswered requests before the missing batches are reported as unrecoverable
 * @param bufferLimit live messages held per source while a replay is under way (more are dropped and
 *     recovered by the next replay)
 */
public record StreamOptions(long fromSeq, Duration replayAnswerTimeout, Duration replayIdleTimeout, int maxReplayAttempts,
        int bufferLimit) {

    /**
     * Replay everything the publishers still hold; answers within 2 s; a replay that pauses 25 ms was cut
     * (the publisher sends its whole buffer in one burst, and its high-water mark drops the tail, end
     * marker included); 3 attempts; 100,000 held messages.
     */
    public static final StreamOptions DEFAULT = new StreamOptions(0, Duration.ofSeconds(2), Duration.ofMillis(25), 3,
            100_000);

    public StreamOptions {
        if (fromSeq < 0) {
            throw new IllegalArgumentException("fromSeq must be ≥ 0, got " + fromSeq);
        }
        requirePositive(replayAnswerTimeout, "replayAnswerTimeout");
        requirePositive(replayIdleTimeout, "replayIdleTimeout");
        if (maxReplayAttempts < 1) {
            throw new IllegalArgumentException("maxReplayAttempts must be ≥ 1");
        }
        if (bufferLimit < 1) {
            throw new IllegalArgumentException("bufferLimit must be ≥ 1");
        }
    }

    private static void requirePositive(Duration d, String name) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, got " + d);
        }
    }

    /** The defaults. */
    public static StreamOptions defaults() {
        return DEFAULT;
    }

    /** These options, replaying from {@code seq} on connect. */
    public StreamOptions fromSeq(long seq) {
        return new StreamOptions(seq, replayAnswerTimeout, replayIdleTimeout, maxReplayAttempts, bufferLimit);
    }

    /** These options with another time to wait for a replay's first answer. */
    public StreamOptions replayAnswerTimeout(Duration timeout) {
        return new StreamOptions(fromSeq, timeout, replayIdleTimeout, maxReplayAttempts, bufferLimit);
    }

    /** These options with another pause after which a replay counts as cut short. */
    public StreamOptions replayIdleTimeout(Duration timeout) {
        return new StreamOptions(fromSeq, replayAnswerTimeout, timeout, maxReplayAttempts, bufferLimit);
    }

    /** These options with another number of unanswered replay requests before giving up. */
    public StreamOptions maxReplayAttempts(int attempts) {
        return new StreamOptions(fromSeq, replayAnswerTimeout, replayIdleTimeout, attempts, bufferLimit);
    }
}
