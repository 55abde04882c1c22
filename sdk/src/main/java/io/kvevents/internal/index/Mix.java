package io.kvevents.internal.index;

/**
 * 64-bit mixing for the index. A block's key is {@code fmix64(parent·P1 ⊕ tokens(block) ⊕ extra)}:
 * MurmurHash3's fmix64 finalizer (full avalanche, well studied) over the parent key and a hash of
 * the block's tokens. The token hash is XXH3's multiply-fold (a 64×64→128-bit product of two
 * secret-keyed words, folded to 64 bits) summed over the block. It does not depend on the parent, so
 * the processor overlaps the token work of the next block with the chain step of this one, which
 * costs one multiply and fmix64. A block is 16 ints: a library call per block would cost more than the hashing,
 * and the chain needs the parent key as the seed.
 */
final class Mix {
    private static final long P1 = 0x9E3779B97F4A7C15L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    /**
     * XXH3's default secret, first 64 bytes, with bits 63 and 31 set: a word of two token ids
     * (non-negative ints) never equals a secret, so no product is ever zero.
     */
    private static final long S0 = 0xBE4BA423B96CFEB8L | 0x8000000080000000L;
    private static final long S1 = 0x1CAD21F72C81017CL | 0x8000000080000000L;
    private static final long S2 = 0xDB979083E96DD4DEL | 0x8000000080000000L;
    private static final long S3 = 0x1F67B3B7A4A44072L | 0x8000000080000000L;
    private static final long S4 = 0x78E5C0CC4EE679CBL | 0x8000000080000000L;
    private static final long S5 = 0x2172FFCC7DD05A82L | 0x8000000080000000L;
    private static final long S6 = 0x8E2443F7744608B8L | 0x8000000080000000L;
    private static final long S7 = 0x4C263A81E69035E0L | 0x8000000080000000L;
    private static final long[] SECRET = {S0, S1, S2, S3, S4, S5, S6, S7};

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

    /** A well-spread 64-bit hash of a key, for table placement. */
    static long spread(long key) {
        long h = key * P1;
        return h ^ (h >>> 29);
    }

    /** The chain key of one block: {@code H(parent, tokens[from, from+len), extra)}. */
    static long block(long parent, int[] tokens, int from, int len, long extra) {
        return chain(parent, tokens(tokens, from, len), extra);
    }

    /** The chain step alone, for a token hash computed ahead. */
    static long chain(long parent, long tokenHash, long extra) {
        return fmix64(parent * P1 ^ tokenHash ^ extra);
    }

    /** The token hash of one block; the block's length is part of it. */
    static long tokens(int[] t, int from, int len) {
        return len == 16 ? tokens16(t, from) : tokensAnyLength(t, from, len);
    }

    /** vLLM's default block size, unrolled: small enough to inline into the probe and ingest loops. */
    private static long tokens16(int[] t, int i) {
        long sum = fold(word(t[i], t[i + 1]) ^ S0, word(t[i + 2], t[i + 3]) ^ S1)
                + fold(word(t[i + 4], t[i + 5]) ^ S2, word(t[i + 6], t[i + 7]) ^ S3)
                + fold(word(t[i + 8], t[i + 9]) ^ S4, word(t[i + 10], t[i + 11]) ^ S5)
                + fold(word(t[i + 12], t[i + 13]) ^ S6, word(t[i + 14], t[i + 15]) ^ S7);
        return (16 * P2 + sum) * P1;
    }

    static long tokensAnyLength(int[] t, int from, int len) {
        long acc = len * P2;
        long sum = 0;
        int g = 0;
        int i = from;
        int end = from + len;
        for (; i + 3 < end; i += 4) {
            sum += fold(word(t[i], t[i + 1]) ^ SECRET[2 * g], word(t[i + 2], t[i + 3]) ^ SECRET[2 * g + 1]);
            if (++g == 4) {
                // every 16 tokens the accumulator moves on, so that stripes are ordered
                acc = (acc + sum) * P1;
                sum = 0;
                g = 0;
            }
        }
        if (i < end) {
            long w0 = word(t[i], i + 1 < end ? t[i + 1] : 0);
            long w1 = word(i + 2 < end ? t[i + 2] : 0, 0);
            sum += fold(w0 ^ SECRET[2 * g], w1 ^ SECRET[2 * g + 1]);
            g++;
        }
        return g == 0 ? acc : (acc + sum) * P1;
    }

    private static long word(int hi, int lo) {
        return ((long) hi << 32) | (lo & 0xFFFFFFFFL);
    }

    /** XXH3's mul128_fold64: both halves of the 128-bit product, folded. */
    private static long fold(long a, long b) {
        return a * b ^ Math.multiplyHigh(a, b);
    }

    static long string(String s) {
        long h = P1 ^ s.length();
        for (int i = 0; i < s.length(); i++) {
            h = Long.rotateLeft(h ^ (s.charAt(i) * P2), 27) * P1;
        }
        return fmix64(h);
    }
}
