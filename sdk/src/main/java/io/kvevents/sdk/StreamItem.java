package io.kvevents.sdk;

/**
 * What an {@link EventStream} yields, in order per source: decoded batches, messages that could not
 * be decoded, and notices about the stream itself (gaps, replays, restarts, connections).
 */
public sealed interface StreamItem permits ReceivedBatch, MalformedMessage, StreamNotice {

    /** The source this item belongs to. */
    String source();
}
