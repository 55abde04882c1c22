package io.kvevents.internal.index;

/**
 * An open-addressing {@code long → long} map: linear probing, backward-shift deletion, no boxing.
 * Key and value sit side by side in one array, so a lookup costs one cache miss, not two. Key 0 is
 * kept aside so that it can serve as the empty marker.
 */
final class LongLongTable {
    static final long MISSING = Long.MIN_VALUE;
    private static final float LOAD = 0.75f;

    /** key at 2i, value at 2i + 1. */
    private long[] slots;
    private int mask;
    private int size;
    private boolean hasZero;
    private long zeroValue;

    LongLongTable() {
        this(16);
    }

    LongLongTable(int capacity) {
        int n = Integer.highestOneBit(Math.max(4, (int) (capacity / LOAD)) * 2 - 1);
        slots = new long[2 * n];
        mask = n - 1;
    }

    int size() {
        return size + (hasZero ? 1 : 0);
    }

    /** The value, or {@link #MISSING}. */
    long get(long key) {
        if (key == 0) {
            return hasZero ? zeroValue : MISSING;
        }
        long[] s = slots;
        for (int i = Mix.slot(key, mask); ; i = (i + 1) & mask) {
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
        for (int i = Mix.slot(key, mask); ; i = (i + 1) & mask) {
            long k = s[2 * i];
            if (k == key) {
                long old = s[2 * i + 1];
                s[2 * i + 1] = value;
                return old;
            }
            if (k == 0) {
                s[2 * i] = key;
                s[2 * i + 1] = value;
                if (++size > LOAD * (mask + 1)) {
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
        for (int i = Mix.slot(key, mask); ; i = (i + 1) & mask) {
            long k = s[2 * i];
            if (k == key) {
                s[2 * i + 1] |= bits;
                return;
            }
            if (k == 0) {
                s[2 * i] = key;
                s[2 * i + 1] = bits;
                if (++size > LOAD * (mask + 1)) {
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
        for (int i = Mix.slot(key, mask); ; i = (i + 1) & mask) {
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
        for (int i = Mix.slot(key, mask); ; i = (i + 1) & mask) {
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
        for (int i = 0; i <= mask; i++) {
            if (slots[2 * i] != 0) {
                action.accept(slots[2 * i], slots[2 * i + 1]);
            }
        }
    }

    long memoryBytes() {
        return 8L * slots.length + 48;
    }

    private void shiftBack(int hole) {
        // Move later entries of the same probe run into the hole, so lookups never stop early.
        long[] s = slots;
        for (int i = (hole + 1) & mask; s[2 * i] != 0; i = (i + 1) & mask) {
            int home = Mix.slot(s[2 * i], mask);
            if (((i - home) & mask) >= ((i - hole) & mask)) {
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
        int n = 2 * (mask + 1);
        slots = new long[2 * n];
        mask = n - 1;
        for (int j = 0; j < old.length; j += 2) {
            long k = old[j];
            if (k != 0) {
                int i = Mix.slot(k, mask);
                while (slots[2 * i] != 0) {
                    i = (i + 1) & mask;
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
