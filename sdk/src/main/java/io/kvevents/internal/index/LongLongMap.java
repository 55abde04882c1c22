package io.kvevents.internal.index;

/**
 * What the index's two tables share: a {@code long → long} map without boxing, key 0 included. The residency
 * table is a {@link LongLongTable} (Robin Hood: a probe's lookup reads one cache line), a source's engine-hash map
 * a {@link CuckooTable} (inserts and deletes move nothing): docs/performance.md says why each.
 */
interface LongLongMap {
    /** What {@link #get} answers for an absent key. */
    long MISSING = Long.MIN_VALUE;

    int size();

    /** The value, or {@code absent}. */
    long getOr(long key, long absent);

    /** The value, or {@link #MISSING}. */
    default long get(long key) {
        return getOr(key, MISSING);
    }

    /**
     * The value, or 0 when the key is absent: for tables of bit masks, where {@link #MISSING} (bit 63 alone)
     * is a mask like any other.
     */
    default long getOrZero(long key) {
        return getOr(key, 0);
    }

    /** True when the key is in the table, whatever its value. */
    boolean contains(long key);

    /** Puts a value; returns the previous one or {@link #MISSING}. */
    long put(long key, long value);

    /** ORs bits into a key's value (inserting the key with those bits when absent), in one lookup. */
    void orBits(long key, long bits);

    /** Clears bits of a key's value and removes the key when nothing is left, in one lookup. */
    void clearBits(long key, long bits);

    /** Removes a key; returns its value or {@link #MISSING}. */
    long remove(long key);

    /** Calls back every entry (the table must not change meanwhile). */
    void forEach(Entries action);

    long memoryBytes();

    /**
     * Reads the slots where a lookup of {@code key} starts, so that the cache holds them when the key is used a
     * moment later; returns what it read, for the caller to keep (a read nobody uses would be dropped).
     */
    long touch(long key);

    /** A callback over entries. */
    @FunctionalInterface
    interface Entries {
        void accept(long key, long value);
    }
}
