package io.kvevents.sdk;

/**
 * A message that is not a valid vLLM event message; counted and skipped, the stream goes on.
 *
 * @param message the raw message when its frames were usable (only the payload was bad), else null
 * @param reason what is wrong, in one line
 */
public record MalformedMessage(String source, RawMessage message, String reason) implements StreamItem {

    @Override
    public String toString() {
        return "MalformedMessage[" + source + ": " + reason + "]";
    }
}
