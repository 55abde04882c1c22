package io.kvevents.internal.index;

/**
 * An open-addressing {@code long → long} map: linear probing, backward-shift deletion, no boxing.
 * Key and value sit side by side in one array, so a lookup costs one cache miss, not two. Key 0 is
 * kept aside so that it can serve as the empty marker.
 *
 * <p>Memory is the index's budget (SPEC §10: ≤ 40 bytes per resident entry over two tables), so
 * the capacity is not a power of two: a key's home slot is the high half of a 64×32-bit product
 * (Lemire's fast range reduction), the table fills to 80 % and large tables grow by a quarter, which
 * keeps a grown table at least 64 % full instead of the 40 % a doubling can leave.
 */
final class LongLongTable {
    static final long MISSING = Long.MIN_VALUE;
    private static final double MAX_LOAD = 0.8;
    /** Below this many slots a table doubles: rehashing small tables often costs more than it saves. */
    private static final int DOUBLE_BELOW = 4096;

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

    int size() {
        return size + (hasZero ? 1 : 0);
    }

    private int home(long key) {
        return (int) (((Mix.spread(key) >>> 32) * capacity) >>> 32);
    }

    private int next(int i) {
        return i + 1 == capacity ? 0 : i + 1;
    }

    /** The value, or {@link #MISSING}. */
    long get(long key) {
        if (key == 0) {
            return hasZero ? zeroValue : MISSING;
        }
        long[] s = slots;
        for (int i = home(key); ; i = next(i)) {
            long k = s[2 * i];
            if (k == key) {
                return s[2 * i + 1];
            }
            if (k == 0) {
                return MISSING;
            }
        }
    }

    /** Puts a value; returns the previous one or {@link #MISSING}. */
    long put(long key, long value) {
        if (key == 0) {
            long old = hasZero ? zeroValue : MISSING;
            hasZero = true;
            zeroValue = value;
            return old;
        }
        long[] s = slots;
        for (int i = home(key); ; i = next(i)) {
            long k = s[2 * i];
            if (k == key) {
                long old = s[2 * i + 1];
                s[2 * i + 1] = value;
                return old;
            }
            if (k == 0) {
                s[2 * i] = key;
                s[2 * i + 1] = value;
                if (++size > limit) {
                    grow();
                }
                return MISSING;
            }
        }
    }

    /** ORs bits into a key's value (inserting the key with those bits when absent), in one probe. */
    void orBits(long key, long bits) {
        if (key == 0) {
            zeroValue = hasZero ? zeroValue | bits : bits;
            hasZero = true;
            return;
        }
        long[] s = slots;
        for (int i = home(key); ; i = next(i)) {
            long k = s[2 * i];
            if (k == key) {
                s[2 * i + 1] |= bits;
                return;
            }
            if (k == 0) {
                s[2 * i] = key;
                s[2 * i + 1] = bits;
                if (++size > limit) {
                    grow();
                }
                return;
            }
        }
    }

    /** Clears bits of a key's value and removes the key when nothing is left, in one probe. */
    void clearBits(long key, long bits) {
        if (key == 0) {
            zeroValue &= ~bits;
            hasZero &= zeroValue != 0;
            return;
        }
        long[] s = slots;
        for (int i = home(key); ; i = next(i)) {
            long k = s[2 * i];
            if (k == 0) {
                return;
            }
            if (k == key) {
                s[2 * i + 1] &= ~bits;
                if (s[2 * i + 1] == 0) {
                    shiftBack(i);
                    size--;
                }
                return;
            }
        }
    }

    /** Removes a key; returns its value or {@link #MISSING}. */
    long remove(long key) {
        if (key == 0) {
            long old = hasZero ? zeroValue : MISSING;
            hasZero = false;
            return old;
        }
        long[] s = slots;
        for (int i = home(key); ; i = next(i)) {
            long k = s[2 * i];
            if (k == 0) {
                return MISSING;
            }
            if (k == key) {
                long old = s[2 * i + 1];
                shiftBack(i);
                size--;
                return old;
            }
        }
    }

    /** Calls back every entry (the table must not change meanwhile). */
    void forEach(LongLongConsumer action) {
        if (hasZero) {
            action.accept(0, zeroValue);
        }
        for (int i = 0; i < capacity; i++) {
            if (slots[2 * i] != 0) {
                action.accept(slots[2 * i], slots[2 * i + 1]);
            }
        }
    }

    long memoryBytes() {
        return 8L * slots.length + 48;
    }

    /** Slots from {@code from} forward to {@code to}, wrapping around. */
    private int distance(int from, int to) {
        int d = to - from;
        return d < 0 ? d + capacity : d;
    }

    private void shiftBack(int hole) {
        // Move later entries of the same probe run into the hole, so lookups never stop early.
        long[] s = slots;
        for (int i = next(hole); s[2 * i] != 0; i = next(i)) {
            int home = home(s[2 * i]);
            if (distance(home, i) >= distance(hole, i)) {
                s[2 * hole] = s[2 * i];
                s[2 * hole + 1] = s[2 * i + 1];
                hole = i;
            }
        }
        s[2 * hole] = 0;
        s[2 * hole + 1] = 0;
    }

    private void grow() {
        long[] old = slots;
        allocate(capacity < DOUBLE_BELOW ? 2 * capacity : capacity + capacity / 4);
        for (int j = 0; j < old.length; j += 2) {
            long k = old[j];
            if (k != 0) {
                int i = home(k);
                while (slots[2 * i] != 0) {
                    i = next(i);
                }
                slots[2 * i] = k;
                slots[2 * i + 1] = old[j + 1];
            }
        }
    }

    @FunctionalInterface
    interface LongLongConsumer {
        void accept(long key, long value);
    }
}
