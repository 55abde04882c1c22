package io.kvevents.sdk;

import java.time.Duration;

/**
 * What one pod's engine showed through port-forward during a short look ({@code status --probe},
 * {@code enable}'s verification): the batches it sent, the age of its last event, whether its replay
 * endpoint answered, the block size its events carry, and what kept it from being read.
 *
 * @param lastEventAge now minus the engine timestamp of its last batch; null when it sent none
 * @param blockSize tokens per block of its last BlockStored; null when it stored nothing meanwhile
 * @param problem why it could not be read (a refused port-forward, …); null when nothing went wrong
 */
public record PodActivity(String pod, long batches, Duration lastEventAge, boolean replayAnswered, Integer blockSize,
        String problem) {

    /** True when the engine is publishing: a batch arrived or its replay endpoint answered. */
    public boolean publishes() {
        return batches > 0 || replayAnswered;
    }

    /** {@code 4s ago}, {@code none yet (replay answered)}, {@code unreachable}. */
    public String lastEventText() {
        if (lastEventAge != null) {
            long s = lastEventAge.toSeconds();
            return (s < 120 ? s + "s" : s < 7200 ? s / 60 + "m" : s < 172_800 ? s / 3600 + "h" : s / 86_400 + "d") + " ago";
        }
        return replayAnswered ? "none yet (replay answered)" : "unreachable";
    }

    @Override
    public String toString() {
        return "PodActivity[" + pod + " batches=" + batches + " last=" + lastEventText()
                + (blockSize == null ? "" : " blockSize=" + blockSize) + (problem == null ? "" : " problem=" + problem) + "]";
    }
}
