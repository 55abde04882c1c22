package io.kvevents.internal.index;

/**
 * An open-addressing {@code long → long} map: Robin Hood linear probing, backward-shift deletion, no
 * boxing. Key and value sit side by side in one array, so a lookup costs one cache miss, not two. Key 0
 * is kept aside so that it can serve as the empty marker.
 *
 * <p>Robin Hood: an insert takes the slot of an entry nearer its home than the insert is to its own, and
 * carries that entry on. With plain linear probing a new key lands at the end of its cluster (6.4 slots
 * from home on average for the bench's probe, at 74 % load) and the newest keys, which probes ask for
 * most, are the slowest to find; here every key is about as near home as the average (1.8 for the same
 * probe). A deletion shifts the entries after the hole back until one is at home, not to the cluster's end.
 *
 * <p>This is the residency table, the one probes read: a probe's lookup reads one cache line, where a cuckoo
 * table ({@link CuckooTable}, the sources' engine-hash maps) often reads two; that made the bench's probe 10–15 %
 * slower. Memory is the index's budget (docs/performance.md: ≤ 40 bytes per resident entry over both), so the
 * capacity is not a power of two: a key's home slot is the high half of a 64×32-bit product (Lemire's fast range
 * reduction), the table fills to 85 %, and grows by a quarter, or by an eighth once it holds a fleet's keys
 * (a million slots): a grown residency table is at least 75 % full, where a doubling can leave 42 %.
 */
final class LongLongTable implements LongLongMap {
    private static final double MAX_LOAD = 0.85;
    /** Below this many slots a table doubles: rehashing small tables often costs more than it saves. */
    private static final int DOUBLE_BELOW = 4096;
    /** Above this many slots (the shared residency table of a fleet) a table grows by an eighth, not a quarter. */
    private static final int FINE_ABOVE = 1 << 20;

    /** key at 2i, value at 2i + 1. */
    private long[] slots;
    private int capacity;
    private int limit;
    private int size;
    private boolean hasZero;
    private long zeroValue;

    LongLongTable() {
        this(16);
    }

    LongLongTable(int expected) {
        allocate(Math.max(8, (int) Math.ceil(expected / MAX_LOAD)));
    }

    private void allocate(int n) {
        slots = new long[2 * n];
        capacity = n;
        limit = (int) (n * MAX_LOAD);
    }

    @Override
    public int size() {
        return size + (hasZero ? 1 : 0);
    }

    private int home(long key) {
        return (int) (((Mix.spread(key) >>> 32) * capacity) >>> 32);
    }

    private int next(int i) {
        return i + 1 == capacity ? 0 : i + 1;
    }

    /** How far slot {@code i} is from the home of the key it holds. */
    private int displacement(long key, int i) {
        int d = i - home(key);
        return d < 0 ? d + capacity : d;
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
        // Plain linear probing finds a key of a Robin Hood table too, and asks nothing of the slots it passes.
        long[] s = slots;
        for (int i = home(key); ; i = next(i)) {
            long k = s[2 * i];
            if (k == key) {
                return s[2 * i + 1];
            }
            if (k == 0) {
                return absent;
            }
        }
    }

    @Override
    public long touch(long key) {
        return slots[2 * home(key)];
    }

    /** How many slots past its home a key sits (what a lookup of it walks), or -1 when it is absent. */
    int slotsFromHome(long key) {
        int i = key == 0 ? -1 : find(key);
        return i < 0 ? (key == 0 && hasZero ? 0 : -1) : displacement(key, i);
    }

    /**
     * The slot holding {@code key}, or {@code -1 - i} where {@code i} is the slot an insert of it takes
     * (empty, or held by an entry nearer its home, which the insert carries on).
     */
    private int find(long key) {
        long[] s = slots;
        int i = home(key);
        for (int d = 0; ; d++, i = next(i)) {
            long k = s[2 * i];
            if (k == key) {
                return i;
            }
            if (k == 0 || displacement(k, i) < d) {
                return -1 - i;
            }
        }
    }

    /**
     * Puts a new key at slot {@code i} (from {@link #find}), carrying the entries from there on. A run is sorted by
     * home, so carrying them is moving every entry from {@code i} to the run's end one slot on: one copy, where
     * comparing each one's distance from home on the way (a mix and a multiply a slot, about 20 slots at 85 % load)
     * cost more than the stores themselves.
     */
    private void insertAt(int i, long key, long value) {
        long[] s = slots;
        int end = i;
        while (s[2 * end] != 0) {
            end = next(end);
        }
        if (end >= i) {
            System.arraycopy(s, 2 * i, s, 2 * i + 2, 2 * (end - i));
        } else { // the run wraps past the table's end
            System.arraycopy(s, 0, s, 2, 2 * end);
            s[0] = s[2 * capacity - 2];
            s[1] = s[2 * capacity - 1];
            System.arraycopy(s, 2 * i, s, 2 * i + 2, 2 * (capacity - 1 - i));
        }
        s[2 * i] = key;
        s[2 * i + 1] = value;
        if (++size > limit) {
            grow();
        }
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
            long old = slots[2 * i + 1];
            slots[2 * i + 1] = value;
            return old;
        }
        insertAt(-1 - i, key, value);
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
            slots[2 * i + 1] |= bits;
        } else {
            insertAt(-1 - i, key, bits);
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
            slots[2 * i + 1] &= ~bits;
            if (slots[2 * i + 1] == 0) {
                shiftBack(i);
                size--;
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
        long old = slots[2 * i + 1];
        shiftBack(i);
        size--;
        return old;
    }

    @Override
    public void forEach(Entries action) {
        if (hasZero) {
            action.accept(0, zeroValue);
        }
        for (int i = 0; i < capacity; i++) {
            if (slots[2 * i] != 0) {
                action.accept(slots[2 * i], slots[2 * i + 1]);
            }
        }
    }

    @Override
    public long memoryBytes() {
        return 8L * slots.length + 48;
    }

    private void shiftBack(int hole) {
        // Move the entries after the hole back a slot each, until one is at home (or the slot is empty).
        long[] s = slots;
        for (int i = next(hole); s[2 * i] != 0 && displacement(s[2 * i], i) > 0; i = next(i)) {
            s[2 * hole] = s[2 * i];
            s[2 * hole + 1] = s[2 * i + 1];
            hole = i;
        }
        s[2 * hole] = 0;
        s[2 * hole + 1] = 0;
    }

    /**
     * Rebuilds the table a size up. Robin Hood keeps each run sorted by home, and the larger table's homes keep that
     * order (the range reduction is monotonic in the hash), so the old entries, read from an empty slot on, each go to
     * the later of their home and the slot after the last one placed: no probe, no shift, and the new table written
     * front to back. Entries that would break the order (the run read last, when it began at slot 0, and entries
     * whose equal old homes come apart in the wrong order) or pass the table's end are inserted the usual way once the
     * rest is in. A fleet's residency table grows by an eighth, so each key is moved about eight times over the
     * table's life: inserting each by probe cost more than the stores themselves (docs/performance.md).
     */
    private void grow() {
        long[] old = slots;
        int oldCapacity = capacity;
        allocate(capacity < DOUBLE_BELOW ? 2 * capacity : capacity + capacity / (capacity < FINE_ABOVE ? 4 : 8));
        size = 0;
        long[] s = slots;
        int empty = 0;
        while (old[2 * empty] != 0) {
            empty++;
        }
        long[] later = new long[16];
        int deferred = 0;
        int lastHome = -1;
        int last = -1;
        for (int n = 1; n <= oldCapacity; n++) {
            int j = empty + n < oldCapacity ? empty + n : empty + n - oldCapacity;
            long k = old[2 * j];
            if (k == 0) {
                continue;
            }
            int home = home(k);
            int at = Math.max(home, last + 1);
            if (home >= lastHome && at < capacity) {
                s[2 * at] = k;
                s[2 * at + 1] = old[2 * j + 1];
                size++;
                lastHome = home;
                last = at;
            } else {
                if (2 * deferred + 2 > later.length) {
                    later = java.util.Arrays.copyOf(later, 2 * later.length);
                }
                later[2 * deferred] = k;
                later[2 * deferred++ + 1] = old[2 * j + 1];
            }
        }
        for (int d = 0; d < deferred; d++) {
            insertAt(-1 - find(later[2 * d]), later[2 * d], later[2 * d + 1]);
        }
    }
}
