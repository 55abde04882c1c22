package io.kvevents.internal.index;

/**
 * Which sources hold a chain key, per tier: key → (GPU mask, offload mask), a bit per source id.
 * Parallel arrays with linear probing, 24 bytes a slot; a key whose masks are both empty is deleted.
 */
final class Residency {
    static final int MAX_SOURCES = 64;
    private static final float LOAD = 0.75f;

    private long[] keys = new long[1024];
    private long[] gpu = new long[1024];
    private long[] offload = new long[1024];
    private int mask = 1023;
    private int size;
    /** Key 0 is the empty marker: its masks live here. */
    private long zeroGpu;
    private long zeroOffload;

    int keys() {
        return size + ((zeroGpu | zeroOffload) != 0 ? 1 : 0);
    }

    long memoryBytes() {
        return 24L * keys.length + 64;
    }

    /** The GPU mask of a key (0 when nobody holds it on GPU). */
    long gpu(long key) {
        if (key == 0) {
            return zeroGpu;
        }
        int i = find(key);
        return i < 0 ? 0 : gpu[i];
    }

    /** The mask of sources that hold the key on any tier. */
    long any(long key) {
        if (key == 0) {
            return zeroGpu | zeroOffload;
        }
        int i = find(key);
        return i < 0 ? 0 : gpu[i] | offload[i];
    }

    void add(long key, int source, boolean onGpu) {
        long bit = 1L << source;
        if (key == 0) {
            if (onGpu) {
                zeroGpu |= bit;
            } else {
                zeroOffload |= bit;
            }
            return;
        }
        int i = Mix.slot(key, mask);
        while (keys[i] != 0 && keys[i] != key) {
            i = (i + 1) & mask;
        }
        if (keys[i] == 0) {
            keys[i] = key;
            if (++size > LOAD * keys.length) {
                if (onGpu) {
                    gpu[i] |= bit;
                } else {
                    offload[i] |= bit;
                }
                grow();
                return;
            }
        }
        if (onGpu) {
            gpu[i] |= bit;
        } else {
            offload[i] |= bit;
        }
    }

    void remove(long key, int source, boolean onGpu) {
        long clear = ~(1L << source);
        if (key == 0) {
            if (onGpu) {
                zeroGpu &= clear;
            } else {
                zeroOffload &= clear;
            }
            return;
        }
        int i = find(key);
        if (i < 0) {
            return;
        }
        if (onGpu) {
            gpu[i] &= clear;
        } else {
            offload[i] &= clear;
        }
        if ((gpu[i] | offload[i]) == 0) {
            shiftBack(i);
            size--;
        }
    }

    private int find(long key) {
        for (int i = Mix.slot(key, mask); ; i = (i + 1) & mask) {
            long k = keys[i];
            if (k == key) {
                return i;
            }
            if (k == 0) {
                return -1;
            }
        }
    }

    private void shiftBack(int hole) {
        for (int i = (hole + 1) & mask; keys[i] != 0; i = (i + 1) & mask) {
            int home = Mix.slot(keys[i], mask);
            if (((i - home) & mask) >= ((i - hole) & mask)) {
                keys[hole] = keys[i];
                gpu[hole] = gpu[i];
                offload[hole] = offload[i];
                hole = i;
            }
        }
        keys[hole] = 0;
        gpu[hole] = 0;
        offload[hole] = 0;
    }

    private void grow() {
        long[] k0 = keys;
        long[] g0 = gpu;
        long[] o0 = offload;
        int n = k0.length * 2;
        keys = new long[n];
        gpu = new long[n];
        offload = new long[n];
        mask = n - 1;
        for (int j = 0; j < k0.length; j++) {
            if (k0[j] != 0) {
                int i = Mix.slot(k0[j], mask);
                while (keys[i] != 0) {
                    i = (i + 1) & mask;
                }
                keys[i] = k0[j];
                gpu[i] = g0[j];
                offload[i] = o0[j];
            }
        }
    }
}
