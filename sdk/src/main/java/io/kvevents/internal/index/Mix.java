package io.kvevents.internal.index;

/**
 * 64-bit mixing for the index: MurmurHash3's fmix64 finalizer (full avalanche, well studied) over
 * a multiply–rotate accumulation of the tokens, two per step. A block is 16 ints: a library call per
 * block would cost more than the hashing, and the chain needs the parent key as the seed.
 */
final class Mix {
    private static final long P1 = 0x9E3779B97F4A7C15L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;

    private Mix() {
    }

    static long fmix64(long h) {
        h ^= h >>> 33;
        h *= 0xFF51AFD7ED558CCDL;
        h ^= h >>> 33;
        h *= 0xC4CEB9FE1A85EC53L;
        h ^= h >>> 33;
        return h;
    }

    /** Table slot of a key. */
    static int slot(long key, int mask) {
        long h = key * P1;
        return (int) (h ^ (h >>> 32)) & mask;
    }

    /**
     * The chain key of one block: {@code H(parent, tokens[from, from+len), extra)}. Two independent
     * lanes of two tokens each halve the dependency chain (a 2,048-block probe hashes 32k tokens).
     */
    static long block(long parent, int[] tokens, int from, int len, long extra) {
        long a = parent ^ (P2 * (len + 1));
        long b = parent * P1 + len;
        int i = from;
        int end = from + len;
        for (; i + 3 < end; i += 4) {
            long p0 = ((long) tokens[i] << 32) | (tokens[i + 1] & 0xFFFFFFFFL);
            long p1 = ((long) tokens[i + 2] << 32) | (tokens[i + 3] & 0xFFFFFFFFL);
            a = Long.rotateLeft(a ^ (p0 * P2), 31) * P1;
            b = Long.rotateLeft(b ^ (p1 * P2), 29) * P1;
        }
        for (; i < end; i++) {
            a = Long.rotateLeft(a ^ (tokens[i] * P2), 31) * P1;
        }
        return fmix64(a ^ Long.rotateLeft(b, 17) ^ extra);
    }

    static long string(String s) {
        long h = P1 ^ s.length();
        for (int i = 0; i < s.length(); i++) {
            h = Long.rotateLeft(h ^ (s.charAt(i) * P2), 27) * P1;
        }
        return fmix64(h);
    }
}
