package io.kvevents.sdk;

/**
 * One KV-cache event as a vLLM engine publishes it.
 *
 * <p>Known tags decode into typed records; any other tag is kept as an {@link UnknownEvent} so that
 * a newer engine never breaks an older reader.
 */
public sealed interface KvEvent permits BlockStored, BlockRemoved, AllBlocksCleared, UnknownEvent {

    /** The wire tag, e.g. {@code "BlockStored"}. */
    String type();
}
