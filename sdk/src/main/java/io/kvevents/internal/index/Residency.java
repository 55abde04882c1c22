package io.kvevents.internal.index;

/**
 * Which sources hold a chain key, per tier: a bit per source id. GPU residency, the common case,
 * lives in one table of (key, mask) pairs; offload tiers (CPU, disk), rarer, in a second one, so a
 * resident GPU block costs 16 bytes a slot and a probe one cache miss per block.
 */
final class Residency {
    static final int MAX_SOURCES = 64;

    private final LongLongTable gpu = new LongLongTable(1024);
    private final LongLongTable offload = new LongLongTable(16);

    /** Distinct keys held on some tier. */
    int keys() {
        int n = gpu.size();
        int[] offloadOnly = {0};
        offload.forEach((key, mask) -> {
            if (gpu.get(key) == LongLongTable.MISSING) {
                offloadOnly[0]++;
            }
        });
        return n + offloadOnly[0];
    }

    long memoryBytes() {
        return gpu.memoryBytes() + offload.memoryBytes();
    }

    /** The GPU mask of a key (0 when nobody holds it on GPU). */
    long gpu(long key) {
        long m = gpu.get(key);
        return m == LongLongTable.MISSING ? 0 : m;
    }

    /** The offload mask of a key. */
    long offload(long key) {
        if (offload.size() == 0) {
            return 0;
        }
        long m = offload.get(key);
        return m == LongLongTable.MISSING ? 0 : m;
    }

    /** {@link LongLongTable#touch} of the key's slot on a tier. */
    long touch(long key, boolean onGpu) {
        return (onGpu ? gpu : offload).touch(key);
    }

    void add(long key, int source, boolean onGpu) {
        (onGpu ? gpu : offload).orBits(key, 1L << source);
    }

    void remove(long key, int source, boolean onGpu) {
        (onGpu ? gpu : offload).clearBits(key, 1L << source);
    }
}
