package io.kvevents.sdk;

import java.util.List;

/**
 * What the prefix index holds.
 *
 * @param residentEntries resident (block, pod, tier) entries
 * @param keys distinct (block key, 64-source page) pairs: the distinct block keys while no more than 64 sources
 *     share the index
 * @param memoryBytes bytes held by the index's tables
 * @param warnings e.g. pods of one model publishing different block sizes
 */
public record IndexStats(List<SourceBlocks> sources, List<String> contexts, long residentEntries, long keys,
        long orphanBlocks, long memoryBytes, List<String> warnings) {

    /** Blocks one source holds, per tier. */
    public record SourceBlocks(String source, String model, int blockSize, long gpuBlocks, long offloadBlocks,
            long orphanBlocks) {
    }

    public IndexStats {
        sources = List.copyOf(sources);
        contexts = List.copyOf(contexts);
        warnings = List.copyOf(warnings);
    }

    /** Index memory per resident entry. */
    public double bytesPerEntry() {
        return residentEntries == 0 ? 0 : (double) memoryBytes / residentEntries;
    }

    @Override
    public String toString() {
        return "IndexStats[" + sources.size() + " sources, " + residentEntries + " entries, " + keys + " keys, "
                + orphanBlocks + " orphans, " + memoryBytes / 1024 + " KiB" + (warnings.isEmpty() ? "" : ", " + warnings)
                + "]";
    }
}
