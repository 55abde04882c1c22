package io.kvevents.internal.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class LongLongTableTest {

    /** Random puts, or-bits, clears and removes over a small key space agree with a HashMap throughout. */
    @Test
    void agreesWithHashMapThroughGrowthAndRemovals() {
        for (int seed = 0; seed < 20; seed++) {
            Random random = new Random(seed);
            LongLongTable table = new LongLongTable();
            Map<Long, Long> reference = new HashMap<>();
            // A small key space makes long probe runs, wrap-around at the table's end and backward shifts common.
            int keySpace = 50 + random.nextInt(20_000);
            for (int op = 0; op < 60_000; op++) {
                long key = random.nextInt(keySpace) - 5; // includes 0, the empty marker, and negatives
                switch (random.nextInt(5)) {
                    case 0, 1 -> assertEquals(orMissing(reference.put(key, (long) op)), table.put(key, op));
                    case 2 -> {
                        long bits = 1L << random.nextInt(64);
                        reference.merge(key, bits, (a, b) -> a | b);
                        table.orBits(key, bits);
                    }
                    case 3 -> {
                        long bits = 1L << random.nextInt(64) | 1L << random.nextInt(64);
                        Long old = reference.get(key);
                        if (old != null) {
                            long left = old & ~bits;
                            if (left == 0) {
                                reference.remove(key);
                            } else {
                                reference.put(key, left);
                            }
                        }
                        table.clearBits(key, bits);
                    }
                    default -> assertEquals(orMissing(reference.remove(key)), table.remove(key));
                }
                if (op % 997 == 0) {
                    assertSame(reference, table);
                }
            }
            assertSame(reference, table);
        }
    }

    @Test
    void largeTablesStayAtLeastSixtyPercentFull() {
        LongLongTable table = new LongLongTable();
        Random random = new Random(3);
        for (int n = 1; n <= 400_000; n++) {
            table.put(random.nextLong() | 1, n);
            if (n > 10_000) {
                double bytesPerEntry = (double) table.memoryBytes() / table.size();
                // 16-byte slots at ≥ 64 % load, the residency budget of docs/performance.md
                assertTrue(bytesPerEntry <= 16 / 0.64 + 0.01, n + " entries take " + bytesPerEntry + " bytes each");
            }
        }
    }

    @Test
    void unrolledSixteenTokenHashMatchesTheGeneralPath() {
        Random random = new Random(5);
        for (int i = 0; i < 1_000; i++) {
            int[] tokens = random.ints(48, 0, 200_000).toArray();
            int from = random.nextInt(32);
            long unrolled = Mix.tokens(tokens, from, 16);
            assertEquals(Mix.tokensAnyLength(tokens, from, 16), unrolled);
            assertNotEquals(unrolled, Mix.tokens(tokens, from, 15), "the length is part of the hash");
            assertNotEquals(unrolled, Mix.tokens(tokens, from, 17), "the length is part of the hash");
        }
    }

    /**
     * Under steady churn at the table's full load, the newest keys (the ones probes ask for) sit as near their
     * home as the average key: with plain linear probing they land at their cluster's end, 6 to 8 slots away.
     */
    @Test
    void theNewestKeysStayNearTheirHomeUnderChurn() {
        LongLongTable table = new LongLongTable();
        Random random = new Random(11);
        int live = 200_000;
        long[] keys = new long[live];
        for (int i = 0; i < live; i++) {
            keys[i] = random.nextLong() | 1;
            table.put(keys[i], i);
        }
        for (int op = 0; op < 400_000; op++) { // FIFO eviction, as an LRU cache under a stream of new prompts
            int i = op % live;
            table.remove(keys[i]);
            keys[i] = random.nextLong() | 1;
            table.put(keys[i], op);
        }
        double load = (double) table.memoryBytes() / 16 / table.size();
        assertTrue(1 / load > 0.6, "the table is as full as in the index: " + 1 / load);
        long newest = 0;
        int worst = 0;
        for (int k = 0; k < 2_048; k++) {
            int d = table.slotsFromHome(keys[(400_000 - 1 - k) % live]);
            assertTrue(d >= 0);
            newest += d;
            worst = Math.max(worst, d);
        }
        assertTrue(newest / 2_048.0 < 3, "the newest keys sit " + newest / 2_048.0 + " slots from home on average");
        assertTrue(worst < 40, "the farthest of them " + worst);
        assertEquals(-1, table.slotsFromHome(2));
    }

    @Test
    void blocksThatDifferInOneTokenOrInTheOrderOfTheirStripesHashApart() {
        Random random = new Random(9);
        for (int i = 0; i < 10_000; i++) {
            int[] tokens = random.ints(32, 0, 200_000).toArray();
            int[] changed = tokens.clone();
            int at = random.nextInt(32);
            changed[at] = (changed[at] + 1 + random.nextInt(1000)) % 200_000;
            int stripe = at < 16 ? 0 : 16;
            assertNotEquals(Mix.tokens(tokens, stripe, 16), Mix.tokens(changed, stripe, 16), "token " + at + " changed");
            assertNotEquals(Mix.tokens(tokens, 0, 32), Mix.tokens(changed, 0, 32));
            int[] swapped = new int[32];
            System.arraycopy(tokens, 16, swapped, 0, 16);
            System.arraycopy(tokens, 0, swapped, 16, 16);
            assertNotEquals(Mix.tokens(tokens, 0, 32), Mix.tokens(swapped, 0, 32), "stripes are ordered");
        }
    }

    private static long orMissing(Long value) {
        return value == null ? LongLongTable.MISSING : value;
    }

    private static void assertSame(Map<Long, Long> reference, LongLongTable table) {
        assertEquals(reference.size(), table.size());
        Map<Long, Long> seen = new HashMap<>();
        table.forEach((k, v) -> seen.put(k, v));
        assertEquals(reference, seen);
        reference.forEach((k, v) -> assertEquals(v, table.get(k)));
    }
}
