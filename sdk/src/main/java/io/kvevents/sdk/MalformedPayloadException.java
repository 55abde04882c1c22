package io.kvevents.sdk;

/** A payload that is not a vLLM event batch; the message says what is wrong with it. */
public class MalformedPayloadException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public MalformedPayloadException(String message) {
        super(message);
    }

    public MalformedPayloadException(String message, Throwable cause) {
        super(message, cause);
    }
}
