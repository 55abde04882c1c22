package io.kvevents.sdk;

/** The engine dropped its whole prefix cache (e.g. {@code /reset_prefix_cache}). */
public record AllBlocksCleared() implements KvEvent {

    public static final String TAG = "AllBlocksCleared";

    /** The event (it has no fields). */
    public static AllBlocksCleared of() {
        return new AllBlocksCleared();
    }

    @Override
    public String type() {
        return TAG;
    }

    @Override
    public String toString() {
        return "AllBlocksCleared[]";
    }
}
