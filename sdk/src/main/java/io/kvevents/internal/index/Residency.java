package io.kvevents.internal.index;

/**
 * Which sources hold a chain key, per tier: a bit per source in 64-bit masks. Sources are numbered from 0
 * and paged 64 to a mask: page 0 (sources 0–63) is stored under the key itself, page p under the key mixed
 * with p, so any number of sources fits while an index of up to 64 sources does exactly one lookup per key.
 * GPU residency, the common case, lives in one table of (key, mask) pairs; offload tiers (CPU, disk), rarer,
 * in a second one, so a resident GPU block costs 16 bytes a slot and a probe one cache miss per block and page.
 */
final class Residency implements ResidencyLane.Target {
    /** Sources per mask. */
    static final int PAGE = 64;

    private final LongLongTable gpu;
    private final LongLongTable offload = new LongLongTable(16);

    Residency() {
        this(1024);
    }

    /** @param expectedKeys the GPU keys the index will hold: its table never grows before that */
    Residency(int expectedKeys) {
        gpu = new LongLongTable(Math.max(1024, expectedKeys));
    }

    /** The table key of {@code key}'s mask for page {@code page} (0: the key itself). */
    static long pageKey(long key, int page) {
        return page == 0 ? key : Mix.fmix64(key ^ (0x9E3779B97F4A7C15L * page)) ^ 0xD6E8FEB86659FD93L;
    }

    static int page(int source) {
        return source >>> 6;
    }

    static long bit(int source) {
        return 1L << (source & 63);
    }

    /** Distinct (key, page) pairs held on some tier: the keys, when no more than 64 sources ever held one. */
    int keys() {
        int n = gpu.size();
        int[] offloadOnly = {0};
        offload.forEach((key, mask) -> {
            if (!gpu.contains(key)) {
                offloadOnly[0]++;
            }
        });
        return n + offloadOnly[0];
    }

    long memoryBytes() {
        return gpu.memoryBytes() + offload.memoryBytes();
    }

    /** True when some source holds some key on an offload tier. */
    boolean anyOffloaded() {
        return offload.size() > 0;
    }

    /** The GPU mask of a key on a page (0 when nobody there holds it on GPU). */
    long gpu(long key, int page) {
        return gpu.getOrZero(pageKey(key, page));
    }

    /** The offload mask of a key on a page. */
    long offload(long key, int page) {
        return offload.size() == 0 ? 0 : offload.getOrZero(pageKey(key, page));
    }

    /** {@link LongLongTable#touch} of the slot of the key's mask for a source. */
    @Override
    public long touch(long key, int source, boolean onGpu) {
        return (onGpu ? gpu : offload).touch(pageKey(key, page(source)));
    }

    @Override
    public void add(long key, int source, boolean onGpu) {
        (onGpu ? gpu : offload).orBits(pageKey(key, page(source)), bit(source));
    }

    @Override
    public void remove(long key, int source, boolean onGpu) {
        (onGpu ? gpu : offload).clearBits(pageKey(key, page(source)), bit(source));
    }
}
