package io.kvevents.sdk;

import java.util.StringJoiner;

/**
 * Engine block hashes are 64-bit patterns: vLLM sends them as uint64, as negative int64 (old
 * engines) or as bytes; all normalise to a {@code long} and print as unsigned decimal.
 */
public final class BlockHashes {
    private BlockHashes() {
    }

    /** The hash as unsigned decimal, the way vLLM logs it. */
    public static String format(long hash) {
        return Long.toUnsignedString(hash);
    }

    /** Parses an unsigned decimal hash; also accepts a negative decimal as its two's-complement pattern. */
    public static long parse(String text) {
        String t = text.strip();
        try {
            return t.startsWith("-") ? Long.parseLong(t) : Long.parseUnsignedLong(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(
                    "not a block hash: '" + text + "' (expected an unsigned 64-bit decimal)", e);
        }
    }

    /** The last 8 bytes of a bytes-mode hash, big-endian (shorter inputs are left-padded with zeros). */
    public static long fromBytes(byte[] bytes) {
        long v = 0;
        for (int i = Math.max(0, bytes.length - 8); i < bytes.length; i++) {
            v = (v << 8) | (bytes[i] & 0xffL);
        }
        return v;
    }

    /** A short, readable list: at most {@code max} hashes, then a count of the rest. */
    public static String summarize(long[] hashes, int max) {
        StringJoiner j = new StringJoiner(",");
        for (int i = 0; i < Math.min(max, hashes.length); i++) {
            j.add(format(hashes[i]));
        }
        String s = j.toString();
        return hashes.length > max ? s + ",…(+" + (hashes.length - max) + ")" : s;
    }
}
