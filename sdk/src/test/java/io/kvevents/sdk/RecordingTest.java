package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvevents.sdk.StreamNotice.Kind;
import io.kvevents.testing.VllmPeer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RecordingTest {
    @TempDir
    Path dir;

    private static RawMessage msg(String source, long seq, long hash) {
        return new RawMessage(source, "kv@" + source + "@m", seq, Instant.parse("2026-11-24T12:00:00Z").plusMillis(seq),
                Wire.encode(new EventBatch(1757500000.0 + seq, List.of(BlockStored.of(new long[] {hash}, null,
                        new int[16], 16)), 0)));
    }

    private static List<StreamItem> playAll(EventStream stream) {
        List<StreamItem> out = new ArrayList<>();
        stream.items().forEach(out::add);
        return out;
    }

    @Test
    void aRecordingReadsBackByteForByte() {
        Path file = dir.resolve("r.jsonl");
        List<RawMessage> written = List.of(msg("pod-a", 0, -1L), msg("pod-b", 0, 5), msg("pod-a", 1, 7));
        try (Recording.Writer w = Recording.writer(file)) {
            written.forEach(w::write);
        }
        assertEquals(written, Recording.read(file));
    }

    @Test
    void playbackAnnouncesGapsAndRestartsAsTheyHappenedLive() throws Exception {
        Path file = dir.resolve("r.jsonl");
        try (Recording.Writer w = Recording.writer(file)) {
            for (long s : new long[] {0, 1, 2, 5, 6, 0, 1}) {
                w.write(msg("pod-a", s, 100 + s));
            }
        }
        try (EventStream stream = EventStream.replay(file)) {
            List<StreamItem> items = playAll(stream);
            List<Long> seqs = items.stream().filter(ReceivedBatch.class::isInstance)
                    .map(i -> ((ReceivedBatch) i).seq()).toList();
            assertEquals(List.of(0L, 1L, 2L, 5L, 6L, 0L, 1L), seqs);
            List<Kind> kinds = items.stream().filter(StreamNotice.class::isInstance)
                    .map(i -> ((StreamNotice) i).kind()).toList();
            assertEquals(List.of(Kind.GAP, Kind.UNRECOVERABLE_GAP, Kind.RESTART, Kind.FINISHED), kinds);
            SourceStats stats = stream.stats().get(0);
            assertEquals(2, stats.lostBatches());
            assertEquals(1, stats.restarts());
            assertTrue(stream.finished());
        }
    }

    @Test
    void aBrokenLineIsReportedWithItsLineNumberAndPlaybackGoesOn() throws Exception {
        Path file = dir.resolve("r.jsonl");
        Files.writeString(file, "{\"source\":\"pod-a\",\"seq\":0,\"payload\":\"" + base64(msg("pod-a", 0, 1).payload())
                + "\"}\n{not json\n{\"source\":\"pod-a\",\"seq\":1,\"payload\":\"" + base64(msg("pod-a", 1, 2).payload())
                + "\"}\n", StandardCharsets.UTF_8);
        try (EventStream stream = EventStream.replay(file)) {
            List<StreamItem> items = playAll(stream);
            assertEquals(2, items.stream().filter(ReceivedBatch.class::isInstance).count());
            MalformedMessage bad = (MalformedMessage) items.stream().filter(MalformedMessage.class::isInstance)
                    .findFirst().orElseThrow();
            assertTrue(bad.reason().contains("r.jsonl:2"), bad.reason());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Recording.read(file));
        assertTrue(e.getMessage().contains("r.jsonl:2"), e.getMessage());
    }

    @Test
    void aMissingRecordingFailsTheSourceWithAClearNotice() {
        try (EventStream stream = EventStream.replay(dir.resolve("nope.jsonl"))) {
            List<StreamItem> items = playAll(stream);
            assertEquals(1, items.size());
            StreamNotice n = (StreamNotice) items.get(0);
            assertEquals(Kind.FAILED, n.kind());
            assertTrue(n.message().contains("does not exist"), n.message());
        }
    }

    @Test
    void aLiveStreamRecordedAndPlayedBackGivesTheSameBatches() {
        Path file = dir.resolve("live.jsonl");
        List<Long> liveHashes = new ArrayList<>();
        try (VllmPeer peer = VllmPeer.start(); Recording.Writer w = Recording.writer(file)) {
            peer.publish(25);
            try (EventStream stream = EventStream.connect(SourceSpec.parse(peer.endpointSpec("pod-a")))) {
                long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
                while (liveHashes.size() < 25 && System.nanoTime() < deadline) {
                    StreamItem item = stream.poll(Duration.ofMillis(100));
                    if (item instanceof ReceivedBatch b) {
                        w.write(b.message());
                        liveHashes.add(((BlockStored) b.events().get(0)).blockHashes()[0]);
                    }
                }
            }
        }
        try (EventStream stream = EventStream.replay(file)) {
            List<Long> played = playAll(stream).stream().filter(ReceivedBatch.class::isInstance)
                    .map(i -> ((BlockStored) ((ReceivedBatch) i).events().get(0)).blockHashes()[0]).toList();
            assertEquals(25, liveHashes.size());
            assertEquals(liveHashes, played);
        }
    }

    private static String base64(byte[] b) {
        return java.util.Base64.getEncoder().encodeToString(b);
    }
}
