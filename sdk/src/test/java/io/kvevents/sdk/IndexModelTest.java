package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvevents.internal.sim.SimulatedEngine;
import io.kvevents.internal.stream.SourceSequencer;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;

/**
 * Random workloads on simulated pods whose messages are dropped, whose engines restart and whose
 * caches are reset, fed through the real sequencing (replay from each pod's buffer) into the index:
 * after every round, every probe must agree with what each pod really holds.
 */
class IndexModelTest {
    private static final int BLOCK = 4;

    /** One pod: its engine (the truth), its publisher's seq and replay buffer, and our sequencer for it. */
    private static final class Pod {
        final String name;
        final SimulatedEngine engine;
        final List<RawMessage> buffer = new ArrayList<>();
        final ArrayDeque<Long> replayRequests = new ArrayDeque<>();
        SourceSequencer sequencer;
        long seq;

        Pod(String name, long salt) {
            this.name = name;
            this.engine = new SimulatedEngine(BLOCK, 24, salt);
        }

        RawMessage publish(List<KvEvent> events) {
            RawMessage m = new RawMessage(name, "kv@" + name + "@m", seq++, Instant.EPOCH,
                    Wire.encode(new EventBatch(seq, events, 0)));
            buffer.add(m);
            if (buffer.size() > 50) {
                buffer.remove(0); // a small replay buffer: some gaps are unrecoverable, as in production
            }
            return m;
        }

        /** Answers the replay requests as vLLM's ROUTER does: every buffered batch from the seq, then the end. */
        void serveReplays() {
            while (!replayRequests.isEmpty()) {
                long from = replayRequests.poll();
                for (RawMessage m : List.copyOf(buffer)) {
                    if (m.seq() >= from) {
                        sequencer.onReplayed(m, 0);
                    }
                }
                sequencer.onReplayEnd(0);
            }
        }
    }

    @RepeatedTest(12)
    void theIndexAgreesWithWhatEveryPodHoldsAfterDropsRestartsAndResets(RepetitionInfo info) {
        check(1000L + info.getCurrentRepetition(), 4, 40, 25);
    }

    /** Issue 17: the same with a fleet of 1,024 sources (16 pages of source masks), each pod in several rounds. */
    @RepeatedTest(2)
    void theIndexAgreesWithEveryPodOfAFleetOf1024(RepetitionInfo info) {
        check(5000L + info.getCurrentRepetition(), 1024, 6, 3000);
    }

    /** The index that records residency on a second thread: every probe sees every batch applied before it. */
    @RepeatedTest(6)
    void thePipelinedIndexAgreesWithWhatEveryPodHolds(RepetitionInfo info) {
        try (PrefixIndex index = PrefixIndex.pipelined(PrefixIndex.DEFAULT_MODEL)) {
            check(index, 2000L + info.getCurrentRepetition(), 4, 40, 25);
        }
    }

    @RepeatedTest(1)
    void thePipelinedIndexAgreesWithEveryPodOfAFleetOf1024(RepetitionInfo info) {
        try (PrefixIndex index = PrefixIndex.pipelined(PrefixIndex.DEFAULT_MODEL)) {
            check(index, 6000L + info.getCurrentRepetition(), 1024, 6, 3000);
        }
    }

    /** The pipelined index sized for the fleet (each engine's 24 blocks): no table grows, the same answers. */
    @RepeatedTest(1)
    void theSizedPipelinedIndexAgreesWithEveryPodOfAFleetOf1024(RepetitionInfo info) {
        try (PrefixIndex index = PrefixIndex.pipelined(PrefixIndex.DEFAULT_MODEL, 1024, 24)) {
            check(index, 7000L + info.getCurrentRepetition(), 1024, 6, 3000);
        }
    }

    private static void check(long seed, int podCount, int rounds, int opsPerRound) {
        check(PrefixIndex.create(), seed, podCount, rounds, opsPerRound);
    }

    private static void check(PrefixIndex index, long seed, int podCount, int rounds, int opsPerRound) {
        Random random = new Random(seed);
        List<Pod> pods = new ArrayList<>();
        for (int i = 0; i < podCount; i++) {
            Pod pod = new Pod("pod-" + i, random.nextLong());
            pod.sequencer = new SourceSequencer(pod.name, index::apply, pod.replayRequests::add, StreamOptions.DEFAULT);
            pod.sequencer.start(0);
            pod.serveReplays();
            pods.add(pod);
        }
        List<int[]> segments = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            segments.add(random.ints(BLOCK * (1 + random.nextInt(3)), 0, 50).toArray());
        }
        int probes = 0;
        for (int round = 0; round < rounds; round++) {
            for (int op = 0; op < opsPerRound; op++) {
                Pod pod = pods.get(random.nextInt(podCount));
                int dice = random.nextInt(100);
                if (dice < 4) {
                    pod.engine.restart(random.nextLong()); // new process: seq 0, empty buffer, no AllBlocksCleared
                    pod.seq = 0;
                    pod.buffer.clear();
                    // The engine's connections went down with it: the client reconnects (a model loads for
                    // minutes before the new process publishes anything).
                    pod.sequencer.onConnected(0, true);
                    pod.serveReplays();
                    continue;
                }
                List<KvEvent> events;
                if (dice < 7) {
                    pod.engine.clear();
                    events = List.of(AllBlocksCleared.of());
                } else {
                    events = pod.engine.serve(prompt(segments, random)).events();
                    if (events.isEmpty()) {
                        continue;
                    }
                }
                RawMessage m = pod.publish(events);
                if (random.nextInt(100) >= 15) { // 15% of live messages are lost
                    pod.sequencer.onLive(m, 0);
                    pod.serveReplays();
                }
            }
            for (Pod pod : pods) {
                pod.sequencer.onConnected(0, true); // e.g. a reconnect: checks and catches up
                pod.serveReplays();
            }
            for (int p = 0; p < 20; p++) {
                int[] prompt = prompt(segments, random);
                ProbeResult result;
                try {
                    result = index.probe(ProbeRequest.of(prompt));
                } catch (IllegalStateException nothingYet) {
                    continue;
                }
                for (Pod pod : pods) {
                    int truth = pod.engine.cachedPrefixBlocks(prompt);
                    int seen = result.pods().stream().filter(m -> m.pod().equals(pod.name))
                            .mapToInt(PodMatch::matchedBlocks).findFirst().orElse(0);
                    if (lostForGood(pod)) {
                        continue; // batches older than the buffer are gone: the index may lag that pod
                    }
                    assertEquals(truth, seen, "seed " + seed + " round " + round + " " + pod.name);
                    int seenOnGpu = result.pods().stream().filter(m -> m.pod().equals(pod.name))
                            .mapToInt(PodMatch::gpuMatchedBlocks).findFirst().orElse(0);
                    assertEquals(truth, seenOnGpu, "on GPU (the simulated engines offload nothing): seed " + seed
                            + " round " + round + " " + pod.name);
                    probes++;
                }
            }
        }
        assertTrue(probes > 500, "too few comparisons: " + probes);
    }

    private static boolean lostForGood(Pod pod) {
        return pod.sequencer.stats().lostBatches() > 0;
    }

    private static int[] prompt(List<int[]> segments, Random random) {
        int parts = 1 + random.nextInt(4);
        List<Integer> tokens = new ArrayList<>();
        int first = random.nextInt(3); // few first segments: many shared prefixes
        for (int i = 0; i < parts; i++) {
            int[] seg = segments.get(i == 0 ? first : random.nextInt(segments.size()));
            for (int t : seg) {
                tokens.add(t);
            }
        }
        return tokens.stream().mapToInt(Integer::intValue).toArray();
    }
}
