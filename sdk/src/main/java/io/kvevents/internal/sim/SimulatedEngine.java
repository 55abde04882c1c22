package io.kvevents.internal.sim;

import io.kvevents.sdk.BlockRemoved;
import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.KvEvent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;

/**
 * A vLLM engine's prefix cache, as far as its events go: an LRU of {@code capacity} full blocks
 * named by salted engine hashes (as vLLM's are, unless PYTHONHASHSEED is pinned). Serving a prompt
 * reuses its cached prefix, evicts the least recently used blocks for the rest, and yields the
 * events vLLM would publish: one BlockRemoved per evicted block, then one BlockStored for the new blocks.
 */
public final class SimulatedEngine {
    private final int blockSize;
    private final int capacity;
    private final LinkedHashMap<Long, Boolean> cache = new LinkedHashMap<>(1024, 0.75f, true);
    private long salt;

    /** What serving one prompt did. */
    public record Served(List<KvEvent> events, int hitBlocks, int fullBlocks) {
    }

    public SimulatedEngine(int blockSize, int capacity, long salt) {
        if (blockSize <= 0 || capacity <= 0) {
            throw new IllegalArgumentException("block size and capacity must be positive");
        }
        this.blockSize = blockSize;
        this.capacity = capacity;
        this.salt = salt;
    }

    public Served serve(int[] prompt) {
        long[] hashes = engineHashes(prompt);
        int n = hashes.length;
        int hit = 0;
        while (hit < n && cache.get(hashes[hit]) != null) { // get() also marks the block recently used
            hit++;
        }
        int store = Math.max(0, Math.min(n, capacity) - hit);
        List<KvEvent> events = new ArrayList<>(2);
        Iterator<Long> eldest = cache.keySet().iterator();
        while (cache.size() + store > capacity && eldest.hasNext()) {
            long evicted = eldest.next();
            eldest.remove();
            events.add(BlockRemoved.of("GPU", evicted));
        }
        if (store > 0) {
            long[] stored = Arrays.copyOfRange(hashes, hit, hit + store);
            for (long h : stored) {
                cache.put(h, Boolean.TRUE);
            }
            int[] tokens = Arrays.copyOfRange(prompt, hit * blockSize, (hit + store) * blockSize);
            events.add(BlockStored.of(stored, hit == 0 ? null : hashes[hit - 1], tokens, blockSize));
        }
        return new Served(events, hit, n);
    }

    /** How many leading full blocks of the prompt this engine holds (the ground truth a probe must match). */
    public int cachedPrefixBlocks(int[] prompt) {
        long[] hashes = engineHashes(prompt);
        int hit = 0;
        while (hit < hashes.length && cache.containsKey(hashes[hit])) {
            hit++;
        }
        return hit;
    }

    /** The engine restarted: empty cache, new hash salt; vLLM sends no AllBlocksCleared for it. */
    public void restart(long newSalt) {
        cache.clear();
        salt = newSalt;
    }

    /** The operator reset the prefix cache ({@code /reset_prefix_cache}): vLLM sends AllBlocksCleared. */
    public void clear() {
        cache.clear();
    }

    private long[] engineHashes(int[] prompt) {
        long[] out = new long[prompt.length / blockSize];
        long h = salt;
        for (int b = 0; b < out.length; b++) {
            for (int i = b * blockSize; i < (b + 1) * blockSize; i++) {
                h = Long.rotateLeft(h ^ (prompt[i] * 0x9E3779B97F4A7C15L), 29) * 0xBF58476D1CE4E5B9L;
            }
            h ^= h >>> 31;
            out[b] = h;
        }
        return out;
    }
}
