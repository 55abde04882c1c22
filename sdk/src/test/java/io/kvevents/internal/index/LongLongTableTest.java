package io.kvevents.internal.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class LongLongTableTest {

    @Test
    void agreesWithHashMapThroughGrowthAndRemovals() {
        LongLongMapContract.agreesWithHashMap(LongLongTable::new);
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

    /** The residency table of a fleet (beyond a million slots) grows by an eighth: at least 75 % full after a growth. */
    @Test
    void aFleetSizedTableStaysAtLeastSeventyFivePercentFull() {
        LongLongTable table = new LongLongTable();
        Random random = new Random(4);
        boolean grewFinely = false;
        for (int n = 1; n <= 2_500_000; n++) {
            table.put(random.nextLong() | 1, n);
            long slots = (table.memoryBytes() - 48) / 16;
            if (slots > (1 << 20) + (1 << 18)) { // grown from beyond a million slots (the growth into them was a quarter)
                grewFinely = true;
                double load = (double) table.size() / slots;
                assertTrue(load >= 0.75, n + " entries fill " + load + " of the table");
            }
        }
        assertTrue(grewFinely);
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


}
