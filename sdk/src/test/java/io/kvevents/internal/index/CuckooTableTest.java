package io.kvevents.internal.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class CuckooTableTest {
    /** One bucket layout every run (the product's is secret to each process): the load figures below are exact. */
    private static final long LAYOUT = 0x9E3779B97F4A7C15L;

    @Test
    void agreesWithHashMapThroughGrowthAndRemovals() {
        LongLongMapContract.agreesWithHashMap(expected -> new CuckooTable(expected, LAYOUT));
    }

    /**
     * A pod's map at its capacity under steady eviction (FIFO, as an LRU cache under new prompts): every live key is
     * found, every evicted one is gone, and keys that overflowed into their second bucket are still found after
     * the entries of their first bucket were deleted (the overflow counts stay right through walks and deletes).
     */
    @Test
    void aFullMapUnderChurnFindsEveryLiveKeyAndNoEvictedOne() {
        int live = 100_000;
        CuckooTable table = new CuckooTable(live, LAYOUT);
        long bytes = table.memoryBytes();
        Random random = new Random(11);
        long[] keys = new long[live];
        long[] values = new long[live];
        for (int i = 0; i < live; i++) {
            keys[i] = random.nextLong() | 1;
            values[i] = i;
            table.put(keys[i], i);
        }
        assertEquals(bytes, table.memoryBytes(), "a map sized for its pod's blocks does not grow while they fill it");
        long[] evicted = new long[300_000];
        for (int op = 0; op < evicted.length; op++) {
            int i = op % live;
            evicted[op] = keys[i];
            assertEquals(values[i], table.remove(keys[i]));
            keys[i] = random.nextLong() | 1;
            values[i] = op;
            table.put(keys[i], op);
        }
        assertEquals(live, table.size());
        for (int i = 0; i < live; i++) {
            assertEquals(values[i], table.get(keys[i]), "live key " + i);
        }
        for (long gone : evicted) {
            assertEquals(CuckooTable.MISSING, table.get(gone));
        }
        long buckets = (table.memoryBytes() - 96) / 129; // 64 bytes of keys, 64 of values and an overflow byte each
        double load = table.size() / (8.0 * buckets);
        assertTrue(load > 0.89, "the map stays as full as it was sized: " + load);
    }

    /** Growing from empty, a large map is 72–90 % full: 17.9 to 22.4 bytes per entry, counted with its overflow bytes. */
    @Test
    void aGrowingMapStaysBetweenSeventyTwoAndNinetyPercentFull() {
        CuckooTable table = new CuckooTable(16, LAYOUT);
        Random random = new Random(3);
        double fullest = 0;
        for (int n = 1; n <= 400_000; n++) {
            table.put(random.nextLong() | 1, n);
            if (n > 10_000) {
                double bytesPerEntry = (double) table.memoryBytes() / table.size();
                assertTrue(bytesPerEntry <= 16.125 / 0.72 + 0.01, n + " entries take " + bytesPerEntry + " bytes each");
                fullest = Math.max(fullest, 16.125 / bytesPerEntry);
            }
        }
        assertTrue(fullest > 0.89, "it fills to 90 % before growing: " + fullest);
    }


}
