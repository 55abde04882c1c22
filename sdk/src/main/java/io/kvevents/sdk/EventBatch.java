package io.kvevents.sdk;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.stream.Collectors;

/**
 * One published batch: the events of one engine step, in order.
 *
 * @param ts the engine's wall clock, seconds since the epoch
 * @param dataParallelRank the publishing rank, null on engines before vLLM 0.9.1
 */
public record EventBatch(double ts, List<KvEvent> events, Integer dataParallelRank) {

    public EventBatch {
        events = List.copyOf(Objects.requireNonNull(events, "events"));
    }

    /** A batch of events stamped now, rank 0. */
    public static EventBatch of(KvEvent... events) {
        return new EventBatch(System.currentTimeMillis() / 1000.0, List.of(events), 0);
    }

    /** {@link #ts} as an instant. */
    public Instant time() {
        long micros = Math.round(ts * 1_000_000d);
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1000L);
    }

    @Override
    public String toString() {
        return "EventBatch[" + time() + (dataParallelRank == null ? "" : " dp=" + dataParallelRank) + " "
                + events.stream().map(Object::toString).collect(Collectors.joining(", ", "{", "}")) + "]";
    }
}
