package io.kvevents.sdk;

import java.util.Arrays;
import java.util.Objects;

/** The engine evicted blocks from one tier ({@code medium}, null on engines that predate tiers). */
public record BlockRemoved(long[] blockHashes, String medium, Integer groupIdx, String locality, String ownership)
        implements KvEvent {

    public static final String TAG = "BlockRemoved";

    public BlockRemoved {
        Objects.requireNonNull(blockHashes, "blockHashes");
    }

    /** A removal from the given tier. */
    public static BlockRemoved of(String medium, long... blockHashes) {
        return new BlockRemoved(blockHashes, medium, null, null, null);
    }

    @Override
    public String type() {
        return TAG;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockRemoved b
                && Arrays.equals(blockHashes, b.blockHashes)
                && Objects.equals(medium, b.medium)
                && Objects.equals(groupIdx, b.groupIdx)
                && Objects.equals(locality, b.locality)
                && Objects.equals(ownership, b.ownership);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(blockHashes);
    }

    @Override
    public String toString() {
        return "BlockRemoved[" + blockHashes.length + (blockHashes.length == 1 ? " block " : " blocks ")
                + BlockHashes.summarize(blockHashes, 4) + (medium == null ? "" : " " + medium) + "]";
    }
}
