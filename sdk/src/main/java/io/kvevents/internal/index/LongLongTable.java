package io.kvevents.internal.index;

/**
 * An open-addressing {@code long → long} map: linear probing, backward-shift deletion, no boxing,
 * 16 bytes a slot. Key 0 is kept aside so that it can serve as the empty marker.
 */
final class LongLongTable {
    static final long MISSING = Long.MIN_VALUE;
    private static final float LOAD = 0.75f;

    private long[] keys;
    private long[] values;
    private int mask;
    private int size;
    private boolean hasZero;
    private long zeroValue;

    LongLongTable() {
        this(16);
    }

    LongLongTable(int capacity) {
        int n = Integer.highestOneBit(Math.max(4, (int) (capacity / LOAD)) * 2 - 1);
        keys = new long[n];
        values = new long[n];
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
        for (int i = Mix.slot(key, mask); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return values[i];
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
        for (int i = Mix.slot(key, mask); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                long old = values[i];
                values[i] = value;
                return old;
            }
            if (k == 0) {
                keys[i] = key;
                values[i] = value;
                if (++size > LOAD * keys.length) {
                    grow();
                }
                return MISSING;
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
        for (int i = Mix.slot(key, mask); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == 0) {
                return MISSING;
            }
            if (k == key) {
                long old = values[i];
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
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != 0) {
                action.accept(keys[i], values[i]);
            }
        }
    }

    long memoryBytes() {
        return 16L * keys.length + 48;
    }

    private void shiftBack(int hole) {
        // Move later entries of the same probe run into the hole, so lookups never stop early.
        for (int i = (hole + 1) & mask; keys[i] != 0; i = (i + 1) & mask) {
            int home = Mix.slot(keys[i], mask);
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                keys[hole] = keys[i];
                values[hole] = values[i];
                hole = i;
            }
        }
        keys[hole] = 0;
        values[hole] = 0;
    }

    private void grow() {
        long[] oldKeys = keys;
        long[] oldValues = values;
        keys = new long[oldKeys.length * 2];
        values = new long[oldKeys.length * 2];
        mask = keys.length - 1;
        for (int j = 0; j < oldKeys.length; j++) {
            long k = oldKeys[j];
            if (k != 0) {
                int i = Mix.slot(k, mask);
                while (keys[i] != 0) {
                    i = (i + 1) & mask;
                }
                keys[i] = k;
                values[i] = oldValues[j];
            }
        }
    }

    @FunctionalInterface
    interface LongLongConsumer {
        void accept(long key, long value);
    }
}
