package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.kvevents.testing.GoldenVectors;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import io.kvevents.internal.stream.SourceSequencer;
import org.junit.jupiter.api.Test;

/**
 * Property tests over mutated and truncated golden vectors: the decoder either decodes or refuses
 * with {@link MalformedPayloadException}, nothing else escapes; in a stream the bad message is
 * counted and the next good one still applies.
 */
class WireFuzzTest {
    private static final long SEED = Long.getLong("kvevents.fuzz.seed", 20261124L);
    private static final int ROUNDS = Integer.getInteger("kvevents.fuzz.rounds", 20_000);

    @Test
    void mutatedPayloadsDecodeOrFailWithAReasonNeverAnythingElse() {
        Random random = new Random(SEED);
        List<byte[]> seeds = GoldenVectors.decodable();
        int refused = 0;
        for (int round = 0; round < ROUNDS; round++) {
            byte[] input = mutate(seeds.get(random.nextInt(seeds.size())), random);
            try {
                EventBatch batch = Wire.decode(input);
                assertNotNull(batch.events());
            } catch (MalformedPayloadException e) {
                assertTrue(e.getMessage() != null && !e.getMessage().isBlank());
                refused++;
            } catch (Throwable t) {
                fail("seed " + SEED + " round " + round + ": " + t + " escaped for " + HexFormat.of().formatHex(input), t);
            }
        }
        assertTrue(refused > ROUNDS / 10, "mutations should break many payloads, broke " + refused);
    }

    @Test
    void everyTruncationOfEveryVectorIsRefused() {
        List<GoldenVectors.Vector> vectors = new ArrayList<>(GoldenVectors.good());
        vectors.addAll(GoldenVectors.sglang());
        for (GoldenVectors.Vector v : vectors) {
            for (int len = 0; len < v.payload().length; len++) {
                byte[] cut = Arrays.copyOf(v.payload(), len);
                try {
                    Wire.decode(cut);
                    fail(v.name() + " cut to " + len + " bytes decoded");
                } catch (MalformedPayloadException expected) {
                    assertTrue(expected.getMessage().length() > 0);
                }
            }
        }
    }

    @Test
    void aBadMessageInAStreamIsCountedAndTheNextGoodOneApplies() {
        Random random = new Random(SEED + 1);
        byte[] good = GoldenVectors.named("map-batch-mixed-dp1").payload();
        List<StreamItem> items = new ArrayList<>();
        SourceSequencer seq = new SourceSequencer("pod-a", items::add, null, StreamOptions.DEFAULT);
        seq.start(0);
        int bad = 0;
        for (int i = 0; i < 2000; i += 2) {
            byte[] broken = Arrays.copyOf(good, random.nextInt(good.length)); // a truncation is always malformed
            seq.onLive(new RawMessage("pod-a", "", i, Instant.EPOCH, broken), 0);
            seq.onLive(new RawMessage("pod-a", "", i + 1, Instant.EPOCH, good), 0);
            bad++;
        }
        long applied = items.stream().filter(ReceivedBatch.class::isInstance).count();
        long malformed = items.stream().filter(MalformedMessage.class::isInstance).count();
        assertEquals(bad, applied);
        assertEquals(bad, malformed);
        SourceStats stats = seq.stats();
        assertEquals(bad, stats.decodeErrors());
        assertEquals(bad, stats.batches());
        assertEquals(1999, stats.lastSeq());
        assertEquals(0, stats.gaps());
    }

    private static byte[] mutate(byte[] seed, Random random) {
        byte[] b = seed.clone();
        int kind = random.nextInt(5);
        switch (kind) {
            case 0 -> { // flip bytes
                for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
                    b[random.nextInt(b.length)] = (byte) random.nextInt(256);
                }
            }
            case 1 -> b = Arrays.copyOf(b, random.nextInt(b.length)); // truncate
            case 2 -> { // header bytes that claim huge lengths
                int at = random.nextInt(b.length);
                b[at] = (byte) (random.nextBoolean() ? 0xdd : 0xdf);
            }
            case 3 -> { // insert garbage
                int at = random.nextInt(b.length);
                byte[] junk = new byte[1 + random.nextInt(8)];
                random.nextBytes(junk);
                byte[] out = new byte[b.length + junk.length];
                System.arraycopy(b, 0, out, 0, at);
                System.arraycopy(junk, 0, out, at, junk.length);
                System.arraycopy(b, at, out, at + junk.length, b.length - at);
                b = out;
            }
            default -> { // duplicate a slice
                int from = random.nextInt(b.length);
                int len = Math.min(b.length - from, 1 + random.nextInt(16));
                byte[] out = Arrays.copyOf(b, b.length + len);
                System.arraycopy(b, from, out, b.length, len);
                b = out;
            }
        }
        return b;
    }
}
