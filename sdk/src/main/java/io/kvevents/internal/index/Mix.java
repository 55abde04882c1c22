package io.kvevents.internal.index;

import java.security.SecureRandom;

/**
 * 64-bit mixing for the index. A block's key is {@code rotl(parent·P1, 29) ⊕ fmix64(tokens(block) ⊕ extra)}.
 *
 * <p>The token hash is UMAC's NH over the block's 16-token stripes: the sum of eight products
 * {@code (t[2j] + K[2j])·(t[2j+1] + K[2j+1])}, each of two 32-bit numbers into 64 bits, with sixteen 31-bit
 * keys drawn from {@link SecureRandom} when the process starts. For inputs chosen without knowing the keys
 * (they never leave the process: the index is rebuilt from the streams), NH is 2⁻³²-almost-universal; with
 * token ids below 2³¹ and keys above 0 no factor is ever zero, so two blocks that differ in one token never
 * share a hash. Longer blocks fold each stripe into an accumulator by a multiply, so stripes are ordered;
 * the block's length is part of the hash. It costs eight one-word multiplies a block where XXH3's 128-bit
 * fold costs sixteen, and a probe of 2,048 blocks is mostly this hashing once its lookups are one slot each.
 *
 * <p>The chain step is a bijection of the parent for a given block and of the block for a given parent
 * (multiply by an odd constant, rotate, xor with MurmurHash3's fmix64 of the token hash, itself a bijection),
 * so two chains meet only if they hold the same block after the same parent, or by a 2⁻⁶⁴ accident; the
 * work on the parent is one multiply, so the token hashing of the next blocks overlaps it.
 */
final class Mix {
    private static final long P1 = 0x9E3779B97F4A7C15L;
    private static final long P2 = 0xC2B2AE3D27D4EB4FL;
    /** NH's keys, secret to this process (see above); an int token plus a key fits 32 bits. */
    private static final long[] K = keys();
    private static final long K0 = K[0], K1 = K[1], K2 = K[2], K3 = K[3], K4 = K[4], K5 = K[5], K6 = K[6], K7 = K[7];
    private static final long K8 = K[8], K9 = K[9], K10 = K[10], K11 = K[11], K12 = K[12], K13 = K[13], K14 = K[14];
    private static final long K15 = K[15];
    /** The tokens a stripe of NH covers. */
    private static final int STRIPE = 16;

    private Mix() {
    }

    private static long[] keys() {
        SecureRandom random = new SecureRandom();
        long[] keys = new long[STRIPE];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = random.nextInt(Integer.MAX_VALUE) + 1L; // 1 .. 2³¹ − 1
        }
        return keys;
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
        return Long.rotateLeft(parent * P1, 29) ^ fmix64(tokens(tokens, from, len) ^ extra);
    }

    /** The token hash of one block; the block's length is part of it. */
    static long tokens(int[] t, int from, int len) {
        return len == STRIPE ? (STRIPE * P2 + nh16(t, from)) * P1 : tokensAnyLength(t, from, len);
    }

    /** NH over one full stripe, unrolled: vLLM's default block is one stripe. */
    private static long nh16(int[] t, int i) {
        return (t[i] + K0) * (t[i + 1] + K1) + (t[i + 2] + K2) * (t[i + 3] + K3)
                + (t[i + 4] + K4) * (t[i + 5] + K5) + (t[i + 6] + K6) * (t[i + 7] + K7)
                + (t[i + 8] + K8) * (t[i + 9] + K9) + (t[i + 10] + K10) * (t[i + 11] + K11)
                + (t[i + 12] + K12) * (t[i + 13] + K13) + (t[i + 14] + K14) * (t[i + 15] + K15);
    }

    static long tokensAnyLength(int[] t, int from, int len) {
        long acc = len * P2;
        int i = from;
        int end = from + len;
        for (; i + STRIPE <= end; i += STRIPE) {
            acc = (acc + nh16(t, i)) * P1;
        }
        if (i < end) {
            // the last, partial stripe: a missing token counts as 0 (the length tells the blocks apart)
            long sum = 0;
            for (int j = 0; i + j < end; j += 2) {
                long second = i + j + 1 < end ? t[i + j + 1] : 0;
                sum += (t[i + j] + K[j]) * (second + K[j + 1]);
            }
            acc = (acc + sum) * P1;
        }
        return acc;
    }

    static long string(String s) {
        long h = P1 ^ s.length();
        for (int i = 0; i < s.length(); i++) {
            h = Long.rotateLeft(h ^ (s.charAt(i) * P2), 27) * P1;
        }
        return fmix64(h);
    }
}
