package io.kvevents.internal.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.IntFunction;

/** What every {@link LongLongMap} must do, checked against a HashMap; each table's test runs it. */
final class LongLongMapContract {
    private LongLongMapContract() {
    }

    /**
     * Random puts, or-bits, clears and removes over small key spaces agree with a HashMap throughout: a small key
     * space keeps the table small and full, so its runs wrap, its entries move, and it grows.
     *
     * @param tables a new table, sized for the number of entries given
     */
    static void agreesWithHashMap(IntFunction<LongLongMap> tables) {
        for (int seed = 0; seed < 20; seed++) {
            Random random = new Random(seed);
            LongLongMap table = tables.apply(random.nextInt(40));
            Map<Long, Long> reference = new HashMap<>();
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

    private static long orMissing(Long value) {
        return value == null ? LongLongMap.MISSING : value;
    }

    static void assertSame(Map<Long, Long> reference, LongLongMap table) {
        assertEquals(reference.size(), table.size());
        Map<Long, Long> seen = new HashMap<>();
        table.forEach((k, v) -> seen.put(k, v));
        assertEquals(reference, seen);
        reference.forEach((k, v) -> {
            assertEquals(v, table.get(k));
            assertEquals(v, table.getOrZero(k));
            assertTrue(table.contains(k));
            table.touch(k); // reads a slot of the table, whatever it holds
        });
        for (long absent = -7; absent < 0; absent++) { // keys the random operations never use
            assertEquals(LongLongMap.MISSING, table.get(absent + Long.MIN_VALUE / 2));
            assertEquals(0, table.getOrZero(absent + Long.MIN_VALUE / 2));
            assertFalse(table.contains(absent + Long.MIN_VALUE / 2));
        }
    }
}
