package io.kvevents.sdk;

/**
 * Something happened to a source's stream. Consumers that keep per-source state must clear it on
 * {@link Kind#RESTART}; everything else is informational.
 *
 * @param fromSeq first sequence number concerned, or -1
 * @param toSeq last sequence number concerned, or -1
 */
public record StreamNotice(String source, Kind kind, String message, long fromSeq, long toSeq) implements StreamItem {

    /** What happened. */
    public enum Kind {
        /** A source joined the stream: a pod of the followed model became ready. */
        ADDED,
        /** A source left the stream for good (its pod was deleted or is no longer ready): what it held no longer counts. */
        GONE,
        /** The transport connected to the publisher. */
        CONNECTED,
        /** The transport lost the publisher; it reconnects with backoff. */
        DISCONNECTED,
        /** The port-forward to the source's pod was refused (RBAC, the kubelet, nothing listening); retried with backoff. */
        FORWARD_FAILED,
        /** Sequence numbers were skipped; a replay was requested for them. */
        GAP,
        /** A replay was requested from {@code fromSeq}. */
        REPLAY,
        /** A replay stopped without its end marker (ROUTER high-water mark); re-requested. */
        REPLAY_CUT,
        /** Batches {@code fromSeq..toSeq} are lost for good: not in the publisher's replay buffer. */
        UNRECOVERABLE_GAP,
        /** The publisher restarted (its sequence went back): the source's state must be cleared. */
        RESTART,
        /** The source cannot be read at all (bad endpoint, unreadable recording). */
        FAILED,
        /** The source has nothing more to give (a recording reached its end). */
        FINISHED
    }

    /** A notice that concerns no particular sequence numbers. */
    public static StreamNotice of(String source, Kind kind, String message) {
        return new StreamNotice(source, kind, message, -1, -1);
    }

    @Override
    public String toString() {
        return "StreamNotice[" + source + " " + kind + ": " + message + "]";
    }
}
