package io.kvevents.internal.index;

import java.security.SecureRandom;

/**
 * The map of a source's engine hashes to chain keys ({@code long → long}): bucketed cuckoo hashing, eight keys to a
 * bucket and two buckets per key, no boxing. Key 0 is kept aside as the empty marker.
 *
 * <p>Why this shape for these maps (docs/performance.md, "Instruction counts"): a source's map takes a new key for
 * nearly every stored block and loses one for nearly every evicted block, and is never probed. In a Robin Hood
 * table (the residency's, {@link LongLongTable}) each insert and delete moves the entries of the rest of its run and
 * computes each one's home, a dozen at 80 % load. Here a key lives in one of its two buckets: a delete clears one
 * slot, an insert takes a free slot of either bucket and moves entries to their other bucket (a random walk) only
 * when both are full. The table fills to 90 % before it grows by a quarter: a pod's map costs 18–22 bytes per
 * block where Robin Hood's cost 20–25. Buckets of eight, not four: near 90 % a four-key bucket is often full, so a
 * new key walked and a lookup read the second bucket (a map sized for its pod's blocks, which runs at 90 %, took
 * 400 ns a stored block in its maps where eight-key buckets take 240–320). The keys are an array of their own and the
 * values another, so that a bucket's keys are 64 bytes. A byte per bucket counts the keys that overflowed into their
 * second bucket, so a new key (absent) is usually told apart by its first bucket alone.
 *
 * <p>A key's buckets come from a multiply by a per-process secret odd constant: a publisher cannot choose
 * engine hashes that share their buckets at every table size and so make inserts fail.
 */
final class CuckooTable implements LongLongMap {
    /** Keys per bucket: eight longs, a 64-byte cache line's worth. */
    private static final int BUCKET = 8;
    private static final double MAX_LOAD = 0.9;
    /** Below this many buckets a table doubles: rehashing small tables often costs more than it saves. */
    private static final int DOUBLE_BELOW = 512;
    /** Entries carried on by one insert before the table grows instead. */
    private static final int MAX_KICKS = 500;
    /** The bucket hash's multiplier: odd, secret to the process (see above). */
    private static final long SECRET = new SecureRandom().nextLong() | 1;

    private final long multiplier;
    /** Bucket b holds keys at {@code 8b … 8b + 7}; each key's value is at the same index of {@link #values}. */
    private long[] keys;
    private long[] values;
    private int buckets;
    /**
     * Per bucket, how many keys whose first bucket it is live in their second (saturating at 255): while 0, a
     * key absent from its first bucket is absent. A byte per bucket: small enough to stay cached.
     */
    private byte[] overflow;
    private int limit;
    private int size;
    private boolean hasZero;
    private long zeroValue;
    /** The random walk's state (xorshift), per table. */
    private long walk = 0x2545F4914F6CDD1DL;

    CuckooTable() {
        this(16);
    }

    CuckooTable(int expected) {
        this(expected, SECRET);
    }

    /** A table whose buckets come from {@code multiplier} (odd): tests, whose layout must be the same every run. */
    CuckooTable(int expected, long multiplier) {
        this.multiplier = multiplier | 1;
        allocate(Math.max(2, (int) Math.ceil(expected / MAX_LOAD / BUCKET)));
    }

    private void allocate(int n) {
        keys = new long[BUCKET * n];
        values = new long[BUCKET * n];
        overflow = new byte[n];
        buckets = n;
        limit = (int) (n * BUCKET * MAX_LOAD);
    }

    @Override
    public int size() {
        return size + (hasZero ? 1 : 0);
    }

    private long hash(long key) {
        long h = key * multiplier;
        return h ^ (h >>> 31);
    }

    /** The key's first bucket (from the hash's high half, Lemire's range reduction). */
    private int first(long h) {
        return (int) (((h >>> 32) * buckets) >>> 32);
    }

    /** The key's second bucket (from the low half), never its first bucket {@code first}. */
    private int second(long h, int first) {
        int b = (int) (((h & 0xFFFFFFFFL) * buckets) >>> 32);
        return b != first ? b : b + 1 == buckets ? 0 : b + 1; // buckets ≥ 2
    }

    /** One more key whose first bucket is {@code first} lives in its second bucket. */
    private void overflowUp(int first) {
        if (overflow[first] != (byte) 0xFF) {
            overflow[first]++;
        }
    }

    /** One key fewer whose first bucket is {@code first} lives in its second (a saturated count stays). */
    private void overflowDown(int first) {
        if (overflow[first] != (byte) 0xFF) {
            overflow[first]--;
        }
    }

    @Override
    public boolean contains(long key) {
        return key == 0 ? hasZero : find(key) >= 0;
    }

    @Override
    public long getOr(long key, long absent) {
        if (key == 0) {
            return hasZero ? zeroValue : absent;
        }
        int i = find(key);
        return i >= 0 ? values[i] : absent;
    }

    @Override
    public long touch(long key) {
        long h = hash(key);
        int f = first(h);
        int b = f * BUCKET;
        // A bucket's 64 bytes start wherever the array's data does, so they usually span two cache lines: read both,
        // of the keys and of the values (a removal reads its value; an insert writes one).
        long t = keys[b] + keys[b + BUCKET - 1] + values[b] + values[b + BUCKET - 1];
        if (overflow[f] == 0) {
            return t;
        }
        int c = second(h, f) * BUCKET;
        return t + keys[c] + keys[c + BUCKET - 1];
    }

    /**
     * The index holding {@code key} (not 0), or -1. The second bucket is read only when some key of the first
     * bucket's overflowed into its second: a new key, which every stored block inserts, costs its first bucket.
     */
    private int find(long key) {
        long h = hash(key);
        int f = first(h);
        int i = indexIn(f * BUCKET, key);
        if (i >= 0 || overflow[f] == 0) {
            return i;
        }
        return indexIn(second(h, f) * BUCKET, key);
    }

    /** The index of {@code k} in the bucket starting at {@code b}, or -1 (0: a free slot). */
    private int indexIn(int b, long k) {
        long[] s = keys;
        for (int i = b; i < b + BUCKET; i++) {
            if (s[i] == k) {
                return i;
            }
        }
        return -1;
    }

    /** Puts a key that is not in the table. */
    private void insert(long key, long value) {
        if (size >= limit) {
            rehash(grown(), 0, 0);
        }
        if (!place(key, value)) {
            // the walk ended without a free slot: the entry it carries is placed once the table has grown
            rehash(grown(), carriedKey, carriedValue);
        }
        size++;
    }

    /** The entry a failed {@link #place} was left carrying. */
    private long carriedKey;
    private long carriedValue;

    /**
     * Places a new entry in a free slot of its buckets, or moves an entry of a full bucket to its other bucket to
     * make room, and so on; false (the carried entry in {@link #carriedKey}) after {@link #MAX_KICKS} moves.
     */
    private boolean place(long key, long value) {
        long[] s = keys;
        long h = hash(key);
        int home = first(h);
        int b = home;
        int i = indexIn(b * BUCKET, 0);
        if (i < 0) {
            b = second(h, home);
            i = indexIn(b * BUCKET, 0);
        }
        for (int kick = 0; i < 0; kick++) {
            if (kick == MAX_KICKS) {
                carriedKey = key;
                carriedValue = value;
                return false;
            }
            walk ^= walk << 13;
            walk ^= walk >>> 7;
            walk ^= walk << 17;
            int victim = b * BUCKET + (int) (walk & (BUCKET - 1));
            if (b != home) {
                overflowUp(home);
            }
            long k = s[victim];
            long v = values[victim];
            s[victim] = key;
            values[victim] = value;
            key = k;
            value = v;
            h = hash(key);
            home = first(h);
            if (home != b) { // the victim was in its second bucket: back to its first
                overflowDown(home);
                b = home;
            } else {
                b = second(h, home);
            }
            i = indexIn(b * BUCKET, 0);
        }
        if (b != home) {
            overflowUp(home);
        }
        s[i] = key;
        values[i] = value;
        return true;
    }

    @Override
    public long put(long key, long value) {
        if (key == 0) {
            long old = hasZero ? zeroValue : MISSING;
            hasZero = true;
            zeroValue = value;
            return old;
        }
        int i = find(key);
        if (i >= 0) {
            long old = values[i];
            values[i] = value;
            return old;
        }
        insert(key, value);
        return MISSING;
    }

    @Override
    public void orBits(long key, long bits) {
        if (key == 0) {
            zeroValue = hasZero ? zeroValue | bits : bits;
            hasZero = true;
            return;
        }
        int i = find(key);
        if (i >= 0) {
            values[i] |= bits;
        } else {
            insert(key, bits);
        }
    }

    @Override
    public void clearBits(long key, long bits) {
        if (key == 0) {
            zeroValue &= ~bits;
            hasZero &= zeroValue != 0;
            return;
        }
        int i = find(key);
        if (i >= 0) {
            values[i] &= ~bits;
            if (values[i] == 0) {
                vacate(i, key);
            }
        }
    }

    @Override
    public long remove(long key) {
        if (key == 0) {
            long old = hasZero ? zeroValue : MISSING;
            hasZero = false;
            return old;
        }
        int i = find(key);
        if (i < 0) {
            return MISSING;
        }
        long old = values[i];
        vacate(i, key);
        return old;
    }

    /** Empties the slot {@link #find} answered for {@code key}. */
    private void vacate(int i, long key) {
        keys[i] = 0;
        values[i] = 0;
        size--;
        int home = first(hash(key));
        if (i / BUCKET != home) {
            overflowDown(home);
        }
    }

    @Override
    public void forEach(Entries action) {
        if (hasZero) {
            action.accept(0, zeroValue);
        }
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != 0) {
                action.accept(keys[i], values[i]);
            }
        }
    }

    @Override
    public long memoryBytes() {
        return 16L * keys.length + overflow.length + 96;
    }

    /** Rebuilds the table with {@code n} buckets or more, with every entry and {@code extraKey} (0: none). */
    private void rehash(int n, long extraKey, long extraValue) {
        long[] oldKeys = keys;
        long[] oldValues = values;
        for (;; n += n / 4 + 1) {
            allocate(n);
            if (placeAll(oldKeys, oldValues) && (extraKey == 0 || place(extraKey, extraValue))) {
                return;
            }
            // a walk failed even here (vanishingly rare below 90 % load): every entry is still in old; larger
        }
    }

    private boolean placeAll(long[] fromKeys, long[] fromValues) {
        for (int j = 0; j < fromKeys.length; j++) {
            if (fromKeys[j] != 0 && !place(fromKeys[j], fromValues[j])) {
                return false;
            }
        }
        return true;
    }

    /** The next size: double while small, then a quarter more (a grown table is 72 % full). */
    private int grown() {
        return buckets < DOUBLE_BELOW ? 2 * buckets : buckets + buckets / 4;
    }
}
