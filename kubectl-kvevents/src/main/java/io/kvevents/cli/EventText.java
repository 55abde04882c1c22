package io.kvevents.cli;

import io.kvevents.sdk.BlockHashes;
import io.kvevents.sdk.BlockRemoved;
import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.KvEvent;
import io.kvevents.sdk.ReceivedBatch;
import io.kvevents.sdk.UnknownEvent;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * One line per event: time, source, seq, type, hashes, token count, medium. Times are UTC to the millisecond,
 * always as wide (columns line up); with colour, each source gets its own, as stern colours pods.
 */
final class EventText {
    private static final int HASHES_SHOWN = 3;
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    /** Bright ANSI colours that read on dark and light terminals alike (stern's set, less blue on black). */
    private static final int[] COLOURS = {31, 32, 33, 35, 36, 91, 92, 93, 95, 96};

    private EventText() {
    }

    static String line(ReceivedBatch batch, KvEvent event) {
        return line(batch, event, false);
    }

    /** @param colour colour the source name (ANSI), for a terminal that wants it */
    static String line(ReceivedBatch batch, KvEvent event, boolean colour) {
        String source = batch.source();
        if (colour) {
            int c = COLOURS[Math.floorMod(source.hashCode(), COLOURS.length)];
            source = "\u001b[" + c + "m" + source + "\u001b[0m";
        }
        StringBuilder s = new StringBuilder(160)
                .append(TIME.format(batch.batch().time())).append("  ")
                .append(source).append("  ")
                .append("seq=").append(batch.seq()).append("  ")
                .append(event.type());
        if (event instanceof BlockStored e) {
            s.append("  hashes=").append(BlockHashes.summarize(e.blockHashes(), HASHES_SHOWN))
                    .append("  parent=").append(e.parentBlockHash() == null ? "-" : BlockHashes.format(e.parentBlockHash()))
                    .append("  tokens=").append(e.tokenIds().length)
                    .append("  medium=").append(e.medium() == null ? "-" : e.medium());
            if (e.loraName() != null || e.loraId() != null) {
                s.append("  lora=").append(e.loraName() != null ? e.loraName() : e.loraId());
            }
            group(s, e.groupIdx(), e.kvCacheSpecKind(), e.locality());
        } else if (event instanceof BlockRemoved e) {
            s.append("  hashes=").append(BlockHashes.summarize(e.blockHashes(), HASHES_SHOWN))
                    .append("  medium=").append(e.medium() == null ? "-" : e.medium());
            group(s, e.groupIdx(), null, e.locality());
        } else if (event instanceof UnknownEvent e) {
            s.append("  (unknown event) ").append(e.fields());
        }
        if (batch.batch().dataParallelRank() != null && batch.batch().dataParallelRank() != 0) {
            s.append("  dp=").append(batch.batch().dataParallelRank());
        }
        return s.toString();
    }

    /**
     * A hybrid model's KV-cache group (every group's events share the hashes, so they would read as duplicates) and a
     * storage tier's locality (LOCAL or REMOTE), when the event names them.
     */
    private static void group(StringBuilder s, Integer groupIdx, String kind, String locality) {
        if (groupIdx != null) {
            s.append("  group=").append(groupIdx);
            if (kind != null) {
                s.append('(').append(kind).append(')');
            }
        }
        if (locality != null) {
            s.append("  locality=").append(locality);
        }
    }
}
