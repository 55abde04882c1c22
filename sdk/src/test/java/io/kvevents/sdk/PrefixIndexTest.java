package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvevents.testing.GoldenVectors;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Every rule of docs/architecture.md (the prefix index), including where other gateways go wrong; run again on the
 * pipelined index by {@link PipelinedPrefixIndexTest}.
 */
class PrefixIndexTest {
    final PrefixIndex index = newIndex();

    /** The index under test (every test but those that build their own kind). */
    PrefixIndex newIndex() {
        return PrefixIndex.create();
    }

    @AfterEach
    void closeIndex() {
        index.close();
    }

    private static int[] tokens(int from, int count) {
        return IntStream.range(from, from + count).toArray();
    }

    private static int[] concat(int[] a, int[] b) {
        return IntStream.concat(IntStream.of(a), IntStream.of(b)).toArray();
    }

    private void store(String pod, Long parent, int[] tokens, long... hashes) {
        index.apply(pod, "", EventBatch.of(BlockStored.of(hashes, parent, tokens, 16)));
    }

    private void send(String pod, KvEvent... events) {
        index.apply(pod, "", EventBatch.of(events));
    }

    private int matched(String pod, int[] prompt) {
        return index.probe(prompt).pod(pod).matchedBlocks();
    }

    @Test
    void multiBlockEventsChainBlockByBlock() {
        int[] prompt = tokens(0, 48);
        store("pod-a", null, prompt, 11, 12, 13);
        assertEquals(3, matched("pod-a", prompt));
        // block 1's tokens after another first block are another key: each block chains to the one before it
        assertEquals(0, matched("pod-a", concat(tokens(100, 16), tokens(16, 32))));
    }

    @Test
    void theParentResolvesThroughTheSameSourcesMapOnly() {
        int[] a = tokens(0, 16);
        int[] b = tokens(16, 16);
        store("pod-a", null, a, 1);
        store("pod-a", 1L, b, 2);
        store("pod-b", 1L, b, 2); // pod-b never stored its engine hash 1: an orphan
        int[] prompt = concat(a, b);
        assertEquals(2, matched("pod-a", prompt));
        assertEquals(0, matched("pod-b", prompt));
        assertEquals(1, index.stats().orphanBlocks());
        assertEquals(List.of("pod-a"), index.probe(prompt).best());
    }

    @Test
    void equalEngineHashesOnDifferentPodsAreNeverCompared() {
        store("pod-a", null, tokens(0, 16), 7);
        store("pod-b", null, tokens(500, 16), 7); // same engine hash, other content
        assertEquals(1, matched("pod-a", tokens(0, 16)));
        assertEquals(0, matched("pod-b", tokens(0, 16)));
    }

    @Test
    void aRemovalOnOnePodKeepsTheOthers() {
        int[] prompt = tokens(0, 32);
        store("pod-a", null, prompt, 1, 2);
        store("pod-b", null, prompt, 91, 92);
        send("pod-a", BlockRemoved.of("GPU", 2));
        assertEquals(1, matched("pod-a", prompt));
        assertEquals(2, matched("pod-b", prompt));
        assertEquals(List.of("pod-b"), index.probe(prompt).best());
    }

    @Test
    void theEventsOfABatchApplyInTheirOrderWhateverTheirNumber() {
        int[] prompt = tokens(0, 40 * 16);
        long[] hashes = LongStream.rangeClosed(1, 40).toArray();
        long[] tail = LongStream.rangeClosed(21, 40).toArray();
        List<KvEvent> events = new ArrayList<>();
        for (long h = 40; h >= 21; h--) {
            events.add(BlockRemoved.of("GPU", h)); // one event per evicted block, as vLLM sends them
        }
        events.add(BlockStored.of(tail, 20L, Arrays.copyOfRange(prompt, 20 * 16, 40 * 16), 16)); // stored again
        events.add(BlockRemoved.of("GPU", 40));
        events.add(BlockRemoved.of("GPU", 40)); // twice: the second finds nothing
        // pod-a gets them in one batch, pod-b one event a batch: the index must not tell the difference
        store("pod-a", null, prompt, hashes);
        send("pod-a", events.toArray(KvEvent[]::new));
        store("pod-b", null, prompt, hashes);
        events.forEach(e -> send("pod-b", e));
        assertEquals(39, matched("pod-a", prompt));
        assertEquals(39, matched("pod-b", prompt));
        assertEquals(List.of(39L, 39L), index.stats().sources().stream().map(IndexStats.SourceBlocks::gpuBlocks).toList());
        send("pod-a", BlockRemoved.of("GPU", 1), AllBlocksCleared.of(), BlockStored.of(new long[] {1}, null, prompt, 16));
        assertEquals(1, matched("pod-a", prompt));
        assertEquals(40, index.stats().residentEntries());
    }

    @Test
    void loraContextsAreSeparate() {
        int[] prompt = tokens(0, 32);
        store("pod-a", null, prompt, 1, 2);
        index.apply("pod-b", "", EventBatch.of(BlockStored.of(new long[] {1, 2}, null, prompt, 16).withLora(7, "sql-lora")));
        assertEquals(2, matched("pod-a", prompt));
        assertEquals(0, matched("pod-b", prompt));
        ProbeResult lora = index.probe(ProbeRequest.of(prompt).withLora("sql-lora"));
        assertEquals(2, lora.pod("pod-b").matchedBlocks());
        assertEquals(0, lora.pod("pod-a").matchedBlocks());
    }

    @Test
    void extraKeysAsVllmSendsThemMatchAProbeForTheSameLoraAndSalt() {
        EventBatch lora = Wire.decode(GoldenVectors.named("map-stored-lora").payload()); // parent 10: an orphan
        index.apply("pod-a", "", lora);
        assertEquals(2, index.stats().orphanBlocks());
        BlockStored e = (BlockStored) lora.events().get(0);
        index.apply("pod-b", "", new EventBatch(0, List.of(new BlockStored(e.blockHashes(), null, e.tokenIds(), 16,
                7, "GPU", "sql-lora", e.extraKeys(), null, null, null, null, null, null, null)), 0));
        assertEquals(2, index.probe(ProbeRequest.of(e.tokenIds()).withLora("sql-lora")).pod("pod-b").matchedBlocks());

        int[] prompt = tokens(0, 32);
        index.apply("pod-c", "", EventBatch.of(new BlockStored(new long[] {5, 6}, null, prompt, 16, null, "GPU", null,
                List.of(List.of("salt-1")), null, null, null, null, null, null, null)));
        assertEquals(0, index.probe(ProbeRequest.of(prompt)).pod("pod-c").matchedBlocks());
        assertEquals(2, index.probe(ProbeRequest.of(prompt).withCacheSalt("salt-1")).pod("pod-c").matchedBlocks());
    }

    @Test
    void anOrphanIsNotMatchedAndNeitherAreItsChildren() {
        store("pod-a", 999L, tokens(0, 16), 1);
        store("pod-a", 1L, tokens(16, 16), 2);
        assertEquals(0, matched("pod-a", tokens(0, 32)));
        assertEquals(2, index.stats().orphanBlocks());
    }

    @Test
    void aRestartClearsOnlyThatPod() {
        int[] prompt = tokens(0, 32);
        store("pod-a", null, prompt, 1, 2);
        store("pod-b", null, prompt, 3, 4);
        index.apply(StreamNotice.of("pod-a", StreamNotice.Kind.RESTART, "restarted"));
        assertEquals(0, matched("pod-a", prompt));
        assertEquals(2, matched("pod-b", prompt));
    }

    @Test
    void allBlocksClearedClearsOnlyThatSource() {
        int[] prompt = tokens(0, 32);
        store("pod-a", null, prompt, 1, 2);
        store("pod-b", null, prompt, 3, 4);
        send("pod-b", AllBlocksCleared.of());
        assertEquals(2, matched("pod-a", prompt));
        assertEquals(0, matched("pod-b", prompt));
        assertEquals(2, index.stats().residentEntries());
    }

    @Test
    void anOffloadTierWithoutTokensResolvesThroughTheMapAndCountsForAnyTier() {
        int[] prompt = tokens(0, 32);
        store("pod-a", null, prompt, 1, 2);
        send("pod-a", BlockStored.of(new long[] {1, 2}, null, new int[0], 0).withMedium("CPU"));
        send("pod-a", BlockRemoved.of("GPU", 1, 2));
        PodMatch m = index.probe(prompt).pod("pod-a");
        assertEquals(2, m.matchedBlocks());
        assertEquals(0, m.gpuMatchedBlocks());
        send("pod-a", BlockRemoved.of("CPU", 1));
        assertEquals(0, matched("pod-a", prompt));
    }

    /**
     * An index of up to 64 sources with nothing offloaded is probed one mask a block; once a tier is offloaded, by
     * any-tier and GPU masks apart. Both answer the same prompt as the pods hold it, before, during and after.
     */
    @Test
    void theOneMaskProbeAndTheTwoTierProbeAgree() {
        int[] prompt = tokens(0, 48);
        store("pod-a", null, prompt, 1, 2, 3);
        store("pod-b", null, Arrays.copyOf(prompt, 32), 11, 12);
        ProbeResult gpuOnly = index.probe(prompt);
        assertEquals(List.of(3, 2), List.of(gpuOnly.pod("pod-a").matchedBlocks(), gpuOnly.pod("pod-b").matchedBlocks()));
        assertEquals(List.of(3, 2), List.of(gpuOnly.pod("pod-a").gpuMatchedBlocks(), gpuOnly.pod("pod-b").gpuMatchedBlocks()));
        send("pod-b", BlockStored.of(new long[] {11, 12}, null, new int[0], 0).withMedium("CPU"));
        send("pod-b", BlockRemoved.of("GPU", 12));
        PodMatch offloaded = index.probe(prompt).pod("pod-b");
        assertEquals(2, offloaded.matchedBlocks());
        assertEquals(1, offloaded.gpuMatchedBlocks());
        send("pod-b", BlockRemoved.of("CPU", 11, 12)); // nothing offloaded any more: one mask a block again
        ProbeResult after = index.probe(prompt);
        assertEquals(List.of(3, 1), List.of(after.pod("pod-a").matchedBlocks(), after.pod("pod-b").matchedBlocks()));
        assertEquals(List.of(3, 1), List.of(after.pod("pod-a").gpuMatchedBlocks(), after.pod("pod-b").gpuMatchedBlocks()));
        assertEquals(List.of("pod-a"), after.best());
    }

    @Test
    void onlyFullBlocksOfTheProbeCount() {
        int[] prompt = tokens(0, 40);
        store("pod-a", null, tokens(0, 32), 1, 2);
        ProbeResult r = index.probe(prompt);
        assertEquals(2, r.fullBlocks());
        assertEquals(32, r.pod("pod-a").matchedTokens());
        assertEquals(1.0, r.pod("pod-a").hitRatio());
    }

    @Test
    void podsOfOneModelWithDifferentBlockSizesAreReportedNotMixed() {
        store("pod-a", null, tokens(0, 16), 1);
        index.apply("pod-b", "", EventBatch.of(BlockStored.of(new long[] {1}, null, tokens(0, 32), 32)));
        assertEquals(1, index.stats().warnings().size());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> index.probe(tokens(0, 32)));
        assertTrue(e.getMessage().contains("different block sizes"), e.getMessage());
    }

    @Test
    void theTopicNamesTheModelAndAnAmbiguousProbeSaysWhichToPick() {
        index.apply("pod-a", "kv@pod-a@llama", EventBatch.of(BlockStored.of(new long[] {1}, null, tokens(0, 16), 16)));
        index.apply("pod-b", "kv@pod-b@qwen", EventBatch.of(BlockStored.of(new long[] {1}, null, tokens(0, 16), 16)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> index.probe(tokens(0, 16)));
        assertTrue(e.getMessage().contains("llama") && e.getMessage().contains("qwen"), e.getMessage());
        ProbeResult llama = index.probe(ProbeRequest.of(tokens(0, 16)).withModel("llama"));
        assertEquals(List.of("pod-a"), llama.pods().stream().map(PodMatch::pod).toList());
    }

    @Test
    void removingASourceFreesItsEntries() {
        store("pod-a", null, tokens(0, 32), 1, 2);
        index.removeSource("pod-a");
        assertEquals(0, index.stats().residentEntries());
        assertEquals(0, index.stats().keys());
    }

    @Test
    void aStreamOfItemsFeedsTheIndex() {
        RawMessage raw = new RawMessage("pod-a", "kv@pod-a@m", 0, Instant.EPOCH,
                Wire.encode(EventBatch.of(BlockStored.of(new long[] {1, 2}, null, tokens(0, 32), 16))));
        index.apply(new ReceivedBatch(raw, Wire.decode(raw.payload())));
        assertEquals(2, index.probe(tokens(0, 32)).pod("pod-a").matchedBlocks());
        assertEquals("m", index.probe(tokens(0, 32)).model());
    }

    @Test
    void aConnectedPodWithoutBlocksIsListedWithNothingMatched() {
        index.apply("pod-a", "kv@pod-a@m", EventBatch.of(BlockStored.of(new long[] {1}, null, tokens(0, 16), 16)));
        index.apply(StreamNotice.of("pod-b", StreamNotice.Kind.CONNECTED, "connected"));
        ProbeResult r = index.probe(tokens(0, 16));
        assertEquals(List.of("pod-a", "pod-b"), r.pods().stream().map(PodMatch::pod).toList());
        assertEquals(0, r.pod("pod-b").matchedBlocks());
    }

    /**
     * A replayed batch without a topic frame (vLLM before 0.26 answers ["", seq, payload]; SGLang too) says
     * nothing about the model: it never fixes it, and the blocks it stored count for the model the first live
     * topic names.
     */
    @Test
    void aReplayWithoutATopicNeverFixesTheModel() {
        index.apply("pod-a", "", EventBatch.of(BlockStored.of(new long[] {1, 2}, null, tokens(0, 32), 16)));
        index.apply("pod-b", "", EventBatch.of(BlockStored.of(new long[] {1}, null, tokens(0, 16), 16)));
        index.apply("pod-a", "kv@pod-a@my-model", EventBatch.of(BlockStored.of(new long[] {3}, 2L, tokens(32, 48), 16)));
        ProbeResult r = index.probe(ProbeRequest.of(tokens(0, 48)).withModel("my-model"));
        assertEquals(3, r.pod("pod-a").matchedBlocks());
        assertEquals(1, r.pod("pod-b").matchedBlocks(), "a pod without live traffic yet still counts for the model");
        assertEquals("my-model", index.probe(tokens(0, 48)).model(), "the only model named is the one probed");
        assertEquals(List.of("my-model", PrefixIndex.DEFAULT_MODEL), index.stats().sources().stream()
                .map(IndexStats.SourceBlocks::model).toList(), "pod-b's model is not named yet");
    }

    /** A model declared for a source (the Deployment it belongs to) holds even when no topic ever names one. */
    @Test
    void aDeclaredModelHoldsWithoutAnyTopic() {
        PrefixIndex forModel = PrefixIndex.forModel("llama-3-8b");
        forModel.apply("pod-a", "", EventBatch.of(BlockStored.of(new long[] {1}, null, tokens(0, 16), 16)));
        ProbeResult r = forModel.probe(ProbeRequest.of(tokens(0, 16)).withModel("llama-3-8b"));
        assertEquals(1, r.pod("pod-a").matchedBlocks());
        assertEquals("llama-3-8b", forModel.probe(tokens(0, 16)).model());
    }

    /**
     * Issue 13 #4: vLLM keeps every physical block that holds a hash (block_pool.py cached_block_hash_to_block:
     * hash -> {block_id: block}) and evicts them one by one, a BlockRemoved each (_emit_block_removed_events).
     * Two requests that computed the same block store it twice; one eviction leaves the other copy cached.
     */
    @Test
    void aBlockStoredTwiceIsHeldUntilRemovedTwice() {
        store("pod-a", null, tokens(0, 32), 1, 2);
        store("pod-a", null, tokens(0, 32), 1, 2); // a second request computed the same blocks
        send("pod-a", new BlockRemoved(new long[] {2}, "GPU", null, null, null));
        assertEquals(2, matched("pod-a", tokens(0, 32)), "the engine still holds a copy of block 2");
        send("pod-a", new BlockRemoved(new long[] {2}, "GPU", null, null, null));
        assertEquals(1, matched("pod-a", tokens(0, 32)));
        send("pod-a", new BlockRemoved(new long[] {2}, "GPU", null, null, null)); // one too many: nothing to undo
        store("pod-a", 1L, tokens(16, 32), 2);
        assertEquals(2, matched("pod-a", tokens(0, 32)));
    }

    /**
     * Issue 13 #6: typed extra keys (tagged maps with byte values, as some vLLM builds send, #55488) are hashed by
     * value: two pods that cached the same image block get the same key, whatever order their maps came in.
     */
    @Test
    void typedExtraKeysAreHashedByValueNotByIdentityOrOrder() {
        java.util.Map<String, Object> a = new java.util.LinkedHashMap<>();
        a.put("type", "mm");
        a.put("hash", new byte[] {1, 2, 3});
        a.put("offset", 7L);
        java.util.Map<String, Object> b = new java.util.LinkedHashMap<>();
        b.put("offset", 7.0);
        b.put("hash", new byte[] {1, 2, 3});
        b.put("type", "mm");
        send("pod-a", new BlockStored(new long[] {1}, null, tokens(0, 16), 16, null, "GPU", null, List.of(a),
                null, null, null, null, null, null, null));
        send("pod-b", new BlockStored(new long[] {9}, null, tokens(0, 16), 16, null, "GPU", null, List.of(b),
                null, null, null, null, null, null, null));
        assertEquals(1, index.stats().keys(), "one block, held by two pods");
        assertEquals(2, index.stats().residentEntries());
    }

    /**
     * Issue 13 #5: a hybrid-attention model (vLLM #37688) publishes each KV-cache group's blocks with the same
     * hash; store events name the group's kind (kv_cache_manager.py annotates kv_cache_spec_kind per group_idx).
     * A sliding-window group's eviction must not remove the full-attention block, and its other block size
     * must not make probes throw: the index follows the full-attention groups.
     */
    @Test
    void aSlidingWindowGroupNeitherRemovesFullAttentionBlocksNorBreaksProbes() {
        send("pod-a", new BlockStored(new long[] {1, 2}, null, tokens(0, 32), 16, null, "GPU", null, null, 0,
                "full_attention", null, null, null, null, null));
        send("pod-a", new BlockStored(new long[] {1}, null, tokens(0, 32), 32, null, "GPU", null, null, 1,
                "sliding_window", 4096, null, null, null, null));
        send("pod-a", new BlockRemoved(new long[] {1}, "GPU", 1, null, null)); // the window slid past block 1
        assertEquals(2, matched("pod-a", tokens(0, 32)), "the full-attention group still holds both blocks");
        assertTrue(index.stats().warnings().isEmpty(), index.stats().warnings().toString());
        send("pod-a", new BlockRemoved(new long[] {2}, "GPU", 0, null, null));
        assertEquals(1, matched("pod-a", tokens(0, 32)));
    }

    /**
     * vLLM's offloading connector stores a group it has no metadata for (a sliding-window group, or any group without
     * self-describing events) as a placeholder: group_idx, empty tokens, block size 0, no kv_cache_spec (vllm
     * 5ac26849 vllm/distributed/kv_transfer/kv_connector/v1/offloading/events.py {@code _placeholder_stored}). Every
     * group shares the block hashes, so such a store of a group known to be sliding-window resolved to the
     * full-attention key and held it offloaded, while its removal, filtered by group, was skipped: held for good.
     * Found in review against 5ac26849.
     */
    @Test
    void anOffloadPlaceholderOfASlidingWindowGroupIsNotHeld() {
        send("pod-a", new BlockStored(new long[] {1, 2}, null, tokens(0, 32), 16, null, "GPU", null, null, 0,
                "full_attention", null, null, null, null, null));
        send("pod-a", new BlockStored(new long[] {1, 2}, null, tokens(0, 32), 16, null, "GPU", null, null, 1,
                "sliding_window", 4096, null, null, null, null));
        send("pod-a", new BlockStored(new long[] {2}, null, new int[0], 0, null, "CPU", null, null, 1,
                null, null, null, null, null, null));
        send("pod-a", new BlockRemoved(new long[] {2}, "CPU", 1, null, null));
        assertEquals(0, index.stats().sources().get(0).offloadBlocks(), "no offloaded block of the full-attention group");
        // the full-attention group's own placeholder is held (and its removal removes it)
        send("pod-a", new BlockStored(new long[] {2}, null, new int[0], 0, null, "CPU", null, null, 0,
                null, null, null, null, null, null));
        assertEquals(1, index.stats().sources().get(0).offloadBlocks());
        send("pod-a", new BlockRemoved(new long[] {2}, "CPU", 0, null, null));
        assertEquals(0, index.stats().sources().get(0).offloadBlocks());
    }

    /**
     * vLLM's offloading connector sends self-describing stores with {@code extra_keys: None} ("Deferred", vllm 5ac26849
     * offloading/events.py _OffloadEventMetadata): a salted prompt's block offloaded to CPU is the block the GPU store
     * keyed with its salt, and stays matched under that salt once the GPU copy is evicted. Found in review: the key was
     * computed again without the salt, so the offloaded prefix never matched a probe.
     */
    @Test
    void anOffloadedBlockKeepsTheKeyItsGpuStoreGaveIt() {
        int[] prompt = tokens(0, 32);
        send("pod-a", new BlockStored(new long[] {1, 2}, null, prompt, 16, null, "GPU", null,
                List.of(List.of("salt-1")), null, null, null, null, null, null, null));
        send("pod-a", new BlockStored(new long[] {1, 2}, null, prompt, 16, null, "CPU", null, null, null, null, null,
                null, null, null, null));
        send("pod-a", new BlockRemoved(new long[] {1, 2}, "GPU", null, null, null));
        ProbeResult salted = index.probe(ProbeRequest.of(prompt).withCacheSalt("salt-1"));
        assertEquals(2, salted.pod("pod-a").matchedBlocks(), "held on CPU under the salt");
        assertEquals(0, salted.pod("pod-a").gpuMatchedBlocks());
        assertEquals(0, index.probe(ProbeRequest.of(prompt)).pod("pod-a").matchedBlocks(), "and not without it");
    }

    /** Issue 13 #2: a pod's data-parallel ranks are sources of their own; per pod, the best rank counts. */
    @Test
    void aPodsRanksFoldIntoOneRowPerPod() {
        store("llama-0", null, tokens(0, 16), 1);
        store("llama-0/dp1", null, tokens(0, 32), 5, 6);
        store("llama-1", null, tokens(0, 16), 9);
        ProbeResult wide = index.probe(tokens(0, 32));
        assertEquals(List.of("llama-0", "llama-0/dp1", "llama-1"), wide.pods().stream().map(PodMatch::pod).toList());
        ProbeResult perPod = wide.perPod();
        assertEquals(List.of("llama-0", "llama-1"), perPod.pods().stream().map(PodMatch::pod).toList());
        assertEquals(2, perPod.pod("llama-0").matchedBlocks());
        assertEquals(List.of("llama-0"), perPod.best());
    }

    /**
     * Issue 17 (and 13 #9): no cap on sources, to SPEC §10's 4,096. 4,096 pods each hold a prefix of 1 + (their number mod 4) blocks; every
     * one of them, on every 64-source page and at bit 63 of a page (a mask equal to the table's empty marker),
     * is found, and removing one leaves the rest.
     */
    @Test
    void anyNumberOfSourcesIsIndexedAndProbedEachOnItsOwn() {
        int pods = 4_096;
        int[] prompt = tokens(0, 64);
        for (int p = 0; p < pods; p++) {
            int blocks = 1 + p % 4;
            long[] hashes = LongStream.range(0, blocks).map(b -> 1_000L * b + 7).toArray();
            store("pod-" + p, null, Arrays.copyOf(prompt, 16 * blocks), hashes);
        }
        ProbeResult r = index.probe(prompt);
        assertEquals(pods, r.pods().size());
        for (int p : new int[] {0, 1, 63, 64, 127, 128, 639, 1_023, 1_024, 4_031, 4_032, 4_095}) {
            assertEquals(1 + p % 4, r.pod("pod-" + p).matchedBlocks(), "pod-" + p);
        }
        assertEquals(pods / 4, r.best().size(), "every pod holding 4 blocks is best");
        index.removeSource("pod-64");
        index.removeSource("pod-4095");
        ProbeResult after = index.probe(prompt);
        assertEquals(pods - 2, after.pods().size());
        assertEquals(1 + 63 % 4, after.pod("pod-63").matchedBlocks());
        assertEquals(1 + 4_094 % 4, after.pod("pod-4094").matchedBlocks());
        store("pod-new", null, Arrays.copyOf(prompt, 48), 7, 1_007, 2_007); // takes a freed id
        assertEquals(3, index.probe(prompt).pod("pod-new").matchedBlocks());
    }

    /** A block only the 64th source holds has the mask 1 << 63, the residency table's empty marker: still found. */
    @Test
    void aBlockHeldOnlyByTheLastSourceOfAPageIsFound() {
        for (int p = 0; p < 63; p++) {
            store("pod-" + p, null, tokens(10_000 + 16 * p, 16), p + 1);
        }
        store("pod-63", null, tokens(0, 16), 99);
        assertEquals(1, matched("pod-63", tokens(0, 16)));
        assertEquals(List.of("pod-63"), index.probe(tokens(0, 16)).best());
    }

    @Test
    void anIndexSizedForTheFleetAnswersAsAGrowingOneDoes() {
        assertAnswersAsAGrowingIndex(PrefixIndex.forFleet(PrefixIndex.DEFAULT_MODEL, 4, 64), 7);
        assertThrows(IllegalArgumentException.class, () -> PrefixIndex.forFleet("m", -1, 10));
    }

    /**
     * {@code sized} (for 4 sources of 64 blocks), given 6 sources of up to 400 blocks at random, which it must grow past,
     * answers every probe and counts every entry as a growing one-thread index given the same batches.
     */
    static void assertAnswersAsAGrowingIndex(PrefixIndex sized, long seed) {
        PrefixIndex growing = PrefixIndex.create();
        java.util.Random random = new java.util.Random(seed);
        int[][] prompts = new int[8][];
        for (int p = 0; p < prompts.length; p++) {
            prompts[p] = random.ints(16 * 50, 0, 1000).toArray();
        }
        for (int step = 0; step < 3_000; step++) {
            String source = "pod-" + random.nextInt(6);
            int[] prompt = prompts[random.nextInt(prompts.length)];
            int blocks = 1 + random.nextInt(50);
            long base = (long) random.nextInt(1 << 20) << 8;
            long[] hashes = LongStream.range(0, blocks).map(h -> base + h).toArray();
            KvEvent event = random.nextInt(10) == 0 ? BlockRemoved.of(null, hashes)
                    : random.nextInt(200) == 0 ? new AllBlocksCleared()
                    : BlockStored.of(hashes, null, Arrays.copyOf(prompt, blocks * 16), 16);
            EventBatch batch = new EventBatch(step, List.of(event), 0);
            growing.apply(source, "", batch);
            sized.apply(source, "", batch);
        }
        for (int[] prompt : prompts) {
            assertEquals(growing.probe(prompt), sized.probe(prompt));
        }
        assertEquals(growing.stats().residentEntries(), sized.stats().residentEntries());
    }
}
