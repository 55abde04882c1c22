package io.kvevents.sdk;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The engine stored full blocks: {@code blockHashes[i]} covers
 * {@code tokenIds[i*blockSize, (i+1)*blockSize)}, chained to the previous block of the same event
 * and, for block 0, to {@code parentBlockHash} (null: the start of a prompt).
 *
 * <p>Nullable fields are null when the engine sent nil or when that vLLM version did not have the
 * field. Arrays are not copied (the hot path decodes millions of blocks): treat them as read-only.
 *
 * @param tokenIds the blocks' tokens (SGLang's bigram pairs under EAGLE give their first tokens: the page's own)
 * @param blockSize tokens per block; 0 on offload-tier events that carry no tokens
 * @param extraKeys per block, the extra hash inputs (LoRA name, multimodal ids, cache salt) as
 *     plain Java values (String, Long, Double, Boolean, byte[], List, Map), or null
 * @param cacheSalt SGLang's per-request salt, which its block hashes leave out (vLLM puts the salt in
 *     the first block's {@code extraKeys} instead), or null
 */
public record BlockStored(
        long[] blockHashes,
        Long parentBlockHash,
        int[] tokenIds,
        int blockSize,
        Integer loraId,
        String medium,
        String loraName,
        List<?> extraKeys,
        Integer groupIdx,
        String kvCacheSpecKind,
        Integer kvCacheSpecSlidingWindow,
        String locality,
        String ownership,
        String sessionId,
        String cacheSalt) implements KvEvent {

    public static final String TAG = "BlockStored";

    /** Kinds of KV-cache group whose blocks a prompt's prefix matches (vllm/v1/kv_cache_interface.py KVCacheSpecKind). */
    public static final java.util.Set<String> FULL_ATTENTION_KINDS = java.util.Set.of("full_attention", "mla_attention",
            "sink_full_attention");

    /**
     * True when this event shows the engine's block size: a GPU store (no medium: every engine before tiers) of a
     * full-attention group (or of an engine before groups) whose token ids are its blocks' whole tokens. Not an
     * offloading placeholder (block size 0, no tokens), a partial prefix entry (vLLM's {@code cache_partial_block}: a
     * smaller hash block), another tier's store (its own block size) or a sliding-window or mamba group's.
     */
    public boolean showsBlockSize() {
        return blockSize > 0 && (medium == null || medium.equalsIgnoreCase("GPU"))
                && (kvCacheSpecKind == null || FULL_ATTENTION_KINDS.contains(kvCacheSpecKind))
                && tokenIds.length == (long) blockHashes.length * blockSize;
    }

    public BlockStored {
        Objects.requireNonNull(blockHashes, "blockHashes");
        Objects.requireNonNull(tokenIds, "tokenIds");
    }

    /** A GPU-tier event with only the fields every vLLM version has. */
    public static BlockStored of(long[] blockHashes, Long parentBlockHash, int[] tokenIds, int blockSize) {
        return new BlockStored(blockHashes, parentBlockHash, tokenIds, blockSize, null, "GPU", null,
                null, null, null, null, null, null, null, null);
    }

    /** The same event on another tier ({@code "GPU"}, {@code "CPU"}, …). */
    public BlockStored withMedium(String newMedium) {
        return new BlockStored(blockHashes, parentBlockHash, tokenIds, blockSize, loraId, newMedium,
                loraName, extraKeys, groupIdx, kvCacheSpecKind, kvCacheSpecSlidingWindow, locality,
                ownership, sessionId, cacheSalt);
    }

    /** The same event under a LoRA adapter. */
    public BlockStored withLora(Integer id, String name) {
        return new BlockStored(blockHashes, parentBlockHash, tokenIds, blockSize, id, medium, name,
                extraKeys, groupIdx, kvCacheSpecKind, kvCacheSpecSlidingWindow, locality, ownership,
                sessionId, cacheSalt);
    }

    /** The same event salted as SGLang salts it (the salt outside the block hashes). */
    public BlockStored withCacheSalt(String salt) {
        return new BlockStored(blockHashes, parentBlockHash, tokenIds, blockSize, loraId, medium, loraName,
                extraKeys, groupIdx, kvCacheSpecKind, kvCacheSpecSlidingWindow, locality, ownership,
                sessionId, salt);
    }

    @Override
    public String type() {
        return TAG;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof BlockStored b
                && Arrays.equals(blockHashes, b.blockHashes)
                && Objects.equals(parentBlockHash, b.parentBlockHash)
                && Arrays.equals(tokenIds, b.tokenIds)
                && blockSize == b.blockSize
                && Objects.equals(loraId, b.loraId)
                && Objects.equals(medium, b.medium)
                && Objects.equals(loraName, b.loraName)
                && Objects.equals(extraKeys, b.extraKeys)
                && Objects.equals(groupIdx, b.groupIdx)
                && Objects.equals(kvCacheSpecKind, b.kvCacheSpecKind)
                && Objects.equals(kvCacheSpecSlidingWindow, b.kvCacheSpecSlidingWindow)
                && Objects.equals(locality, b.locality)
                && Objects.equals(ownership, b.ownership)
                && Objects.equals(sessionId, b.sessionId)
                && Objects.equals(cacheSalt, b.cacheSalt);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(blockHashes) + Arrays.hashCode(tokenIds);
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("BlockStored[")
                .append(blockHashes.length).append(blockHashes.length == 1 ? " block " : " blocks ")
                .append(BlockHashes.summarize(blockHashes, 4))
                .append(" parent=").append(parentBlockHash == null ? "-" : BlockHashes.format(parentBlockHash))
                .append(" tokens=").append(tokenIds.length)
                .append(" block_size=").append(blockSize);
        if (medium != null) {
            s.append(' ').append(medium);
        }
        if (loraName != null || loraId != null) {
            s.append(" lora=").append(loraName != null ? loraName : loraId);
        }
        if (cacheSalt != null) {
            s.append(" salted");
        }
        return s.append(']').toString();
    }
}
