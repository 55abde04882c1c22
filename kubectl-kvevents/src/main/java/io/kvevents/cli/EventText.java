package io.kvevents.cli;

import io.kvevents.sdk.BlockHashes;
import io.kvevents.sdk.BlockRemoved;
import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.KvEvent;
import io.kvevents.sdk.ReceivedBatch;
import io.kvevents.sdk.UnknownEvent;

/** One line per event: time, source, seq, type, hashes, token count, medium. */
final class EventText {
    private static final int HASHES_SHOWN = 3;

    private EventText() {
    }

    static String line(ReceivedBatch batch, KvEvent event) {
        StringBuilder s = new StringBuilder(160)
                .append(batch.batch().time()).append("  ")
                .append(batch.source()).append("  ")
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
        } else if (event instanceof BlockRemoved e) {
            s.append("  hashes=").append(BlockHashes.summarize(e.blockHashes(), HASHES_SHOWN))
                    .append("  medium=").append(e.medium() == null ? "-" : e.medium());
        } else if (event instanceof UnknownEvent e) {
            s.append("  (unknown event) ").append(e.fields());
        }
        if (batch.batch().dataParallelRank() != null && batch.batch().dataParallelRank() != 0) {
            s.append("  dp=").append(batch.batch().dataParallelRank());
        }
        return s.toString();
    }
}
