package io.kvevents.internal.index;

import io.kvevents.sdk.AllBlocksCleared;
import io.kvevents.sdk.BlockRemoved;
import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.EventBatch;
import io.kvevents.sdk.IndexStats;
import io.kvevents.sdk.KvEvent;
import io.kvevents.sdk.PodMatch;
import io.kvevents.sdk.ProbeRequest;
import io.kvevents.sdk.ProbeResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The prefix index (docs/architecture.md (the prefix index)): our own chain keys over each full block's tokens, per-source
 * engine-hash → key maps, and residency per (key, source, tier). Engine hashes are only ever
 * resolved within the source that sent them.
 *
 * <p>The model is a property of the source, not of the keys: keys are seeded by the LoRA context only,
 * and a probe for a model reads the sources of that model. A source's model is often learned late (a
 * replay without a topic frame names none, the first live topic does), and a filter needs nothing moved
 * when it is learned, where model-seeded keys would have been computed under the wrong seed for good.
 * Equal token runs of two models share a key, at no cost: residency is per source.
 *
 * <p>Not thread-safe: one owner applies events and probes. A pipelined index ({@link ResidencyLane}) hands its
 * residency changes to a second thread of its own; the owner's probes and stats wait for that thread to catch up.
 */
public final class IndexCore {
    /** Blocks whose keys a probe computes before looking them up. */
    private static final int PROBE_CHUNK = 64;
    /**
     * Table operations of a window are preceded by reads of all their slots: independent reads overlap their
     * cache misses, where each operation alone would wait for its own. A store's blocks are read a window ahead of
     * the ones being placed (ingest +9 %, docs/performance.md); removals arrive one event per block and are read as
     * a window just before it is applied (reading them as they were queued gained nothing).
     */
    private static final int WINDOW = 16;
    /** The tiers a queued removal applies to: GPU, OFFLOAD, or both when the event names no medium. */
    private static final byte GPU = 1, OFFLOAD = 2;

    private final String defaultModel;
    private final Residency residency;
    /** Where residency changes go when a second thread applies them; null when this thread does. */
    private final ResidencyLane lane;
    /** The blocks a source holds at most, as the engine's KV cache allows ({@code num_gpu_blocks}); 0 when unknown. */
    private final int blocksPerSource;
    private final Map<String, SourceState> sources = new TreeMap<>();
    /** Sources by id; a gone source's id is reused by the next new one. */
    private final List<SourceState> byId = new ArrayList<>();
    private final Map<String, Context> contexts = new LinkedHashMap<>();
    /** The chain keys of the BlockStored being applied. */
    private long[] storedKeys = new long[256];
    /** Removals waiting for their window: engine hash and tier (see {@link #removed}). */
    private final long[] removedHashes = new long[WINDOW];
    private final byte[] removedTiers = new byte[WINDOW];
    private int removedCount;
    /** What the touches read (see {@link CuckooTable#touch} and {@link LongLongTable#touch}). */
    private long touched;

    /** A LoRA context (null: the base model): its seed. */
    private static final class Context {
        final String lora;
        final long seed;

        Context(String lora) {
            this.lora = lora;
            this.seed = Mix.string('\u0000' + (lora == null ? "" : lora));
        }
    }

    /** One publisher's state: its engine hashes per tier, resolved to our keys. */
    private static final class SourceState {
        final int id;
        final String name;
        /** Null until declared, or named by a live topic ({@code kv@<pod>@<model>}). */
        String model;
        /**
         * KV-cache groups (hybrid attention) whose store events named a kind a prefix cannot match through
         * (sliding window, mamba, ...): their stores and removals are not the full-attention cache.
         */
        Set<Integer> otherGroups = Set.of();
        /** True when {@link #declareModel} named the model: topics no longer change it. */
        boolean declared;
        /** The LoRA contexts it stored blocks under, for {@link #stats}. */
        final Set<String> loras = new LinkedHashSet<>();
        CuckooTable gpu;
        CuckooTable offload = new CuckooTable();
        /**
         * Copies beyond the first of an engine hash, per tier: vLLM keeps every physical block that holds a
         * hash and removes them one at a time (block_pool.py, cached_block_hash_to_block), so a block stored
         * twice stays until it is removed twice. Empty nearly always: the hot paths test its size first.
         */
        CuckooTable gpuCopies = new CuckooTable(16);
        CuckooTable offloadCopies = new CuckooTable(16);
        long orphans;
        int blockSize;

        SourceState(int id, String name, CuckooTable gpu) {
            this.id = id;
            this.name = name;
            this.gpu = gpu;
        }

        long resolve(long engineHash) {
            long key = gpu.get(engineHash);
            return key != CuckooTable.MISSING ? key : offload.get(engineHash);
        }
    }

    /** @param defaultModel the model of sources that are not declared and whose topics name none */
    public IndexCore(String defaultModel) {
        this(defaultModel, 0, 0);
    }

    /**
     * An index sized for a fleet: each source's engine-hash table for {@code blocksPerSource} blocks and the residency
     * table for {@code sources × blocksPerSource} keys, so that filling them rehashes nothing (docs/performance.md:
     * the tables' growth is half of a new block's instructions while an index fills).
     */
    public IndexCore(String defaultModel, int sources, int blocksPerSource) {
        this(defaultModel, sources, blocksPerSource, false);
    }

    /**
     * @param residencyThread true: residency changes are applied on a second thread ({@link ResidencyLane}), while
     *                        this one decodes, chains and maps engine hashes; probes and stats wait for it to catch up
     */
    public IndexCore(String defaultModel, int sources, int blocksPerSource, boolean residencyThread) {
        this.defaultModel = defaultModel;
        this.blocksPerSource = Math.max(0, blocksPerSource);
        long keys = (long) Math.max(0, sources) * this.blocksPerSource;
        this.residency = keys > 0 ? new Residency((int) Math.min(keys, 1 << 28)) : new Residency();
        this.lane = residencyThread ? new ResidencyLane(residency, "kvevents-residency") : null;
    }

    private void addResidency(long key, int source, boolean gpu) {
        if (lane == null) {
            residency.add(key, source, gpu);
        } else {
            lane.add(key, source, gpu);
        }
    }

    private void removeResidency(long key, int source, boolean gpu) {
        if (lane == null) {
            residency.remove(key, source, gpu);
        } else {
            lane.remove(key, source, gpu);
        }
    }

    /** Stops a pipelined index's second thread (nothing for another index); a probe of it then throws. */
    public void close() {
        if (lane != null) {
            lane.close();
        }
    }

    /** True for a pipelined index that was closed: it answers nothing more. */
    public boolean closed() {
        return lane != null && lane.closed();
    }

    /** Before the residency is read: every change handed to the lane is applied. */
    private void settle() {
        if (lane != null) {
            lane.settle();
        }
    }

    private CuckooTable sourceTable() {
        return blocksPerSource > 0 ? new CuckooTable(blocksPerSource) : new CuckooTable();
    }

    /** Applies one batch of a source, in that source's sequence order. */
    public void apply(String source, String topic, EventBatch batch) {
        SourceState s = source(source, topic);
        for (KvEvent e : batch.events()) {
            if (e instanceof BlockRemoved removed) {
                if (removed.groupIdx() == null || !s.otherGroups.contains(removed.groupIdx())) {
                    removed(s, removed);
                }
                continue;
            }
            flushRemovals(s);
            if (e instanceof BlockStored stored) {
                if (!prefixMatchable(s, stored)) {
                    continue;
                }
                stored(s, stored);
            } else if (e instanceof AllBlocksCleared) {
                clear(s);
            }
        }
        flushRemovals(s);
        if (lane != null) {
            lane.publish(); // the batch's changes go to the lane's thread now, not when the ring's next block fills
        }
    }

    /**
     * Registers a source before its first batch (it connected), so that probes list it with nothing
     * matched rather than leave it out.
     */
    public void addSource(String source) {
        source(source, null);
    }

    /** Says which model a source serves (its Deployment's): no topic changes it after this. */
    public void declareModel(String source, String model) {
        SourceState s = source(source, null);
        s.model = model;
        s.declared = true;
    }

    /** Forgets everything a source holds (its engine restarted): its id stays. */
    public void clearSource(String source) {
        SourceState s = sources.get(source);
        if (s != null) {
            clear(s);
        }
    }

    /** Forgets a source entirely (its pod is gone). */
    public void removeSource(String source) {
        SourceState s = sources.remove(source);
        if (s != null) {
            clear(s);
            byId.set(s.id, null);
        }
    }

    private SourceState source(String name, String topic) {
        SourceState s = sources.get(name);
        if (s == null) {
            int id = byId.indexOf(null);
            if (id < 0) {
                id = byId.size();
                byId.add(null);
            }
            s = new SourceState(id, name, sourceTable());
            byId.set(id, s);
            sources.put(name, s);
        }
        if (s.model == null && !s.declared) {
            s.model = modelOf(topic); // only a topic that names a model fixes it
        }
        return s;
    }

    /** {@code kv@<pod>@<model>} names the model; any other topic (the empty one of a replay) names none. */
    private static String modelOf(String topic) {
        if (topic != null && topic.startsWith("kv@")) {
            int at = topic.indexOf('@', 3);
            if (at > 0 && at + 1 < topic.length()) {
                return topic.substring(at + 1);
            }
        }
        return null;
    }

    /** The model a source counts for: its own, else the index's default. */
    private String modelOf(SourceState s) {
        return s.model != null ? s.model : defaultModel;
    }

    private Context context(String lora) {
        return contexts.computeIfAbsent(lora == null ? "" : lora, k -> new Context(lora));
    }

    /**
     * True for a store of a group a prefix matches through: a hybrid model (vLLM #37688) publishes every group's
     * blocks under the same hashes, and a sliding-window group's evictions say nothing about the full cache.
     * A store without a kind (every engine before groups) counts.
     */
    private static boolean prefixMatchable(SourceState s, BlockStored e) {
        if (e.groupIdx() == null) {
            return true;
        }
        if (s.otherGroups.contains(e.groupIdx())) {
            // a group already known as not full attention, its kind named or not: vLLM's offloading connector stores
            // such a group as a placeholder without kind (vllm 5ac26849 offloading/events.py _placeholder_stored:
            // group_idx, no kv_cache_spec), and its removals are skipped by group too
            return false;
        }
        String kind = e.kvCacheSpecKind();
        if (kind == null || BlockStored.FULL_ATTENTION_KINDS.contains(kind)) {
            return true;
        }
        Set<Integer> groups = new java.util.HashSet<>(s.otherGroups);
        groups.add(e.groupIdx());
        s.otherGroups = Set.copyOf(groups);
        return false;
    }

    private static boolean onGpu(String medium) {
        // equals first: the wire's medium is nearly always exactly "GPU", and a removal event per evicted block
        // made equalsIgnoreCase 4 % of the bench's ingest
        return medium == null || medium.equals("GPU") || medium.equalsIgnoreCase("GPU");
    }

    private void stored(SourceState s, BlockStored e) {
        boolean gpu = onGpu(e.medium());
        CuckooTable tier = gpu ? s.gpu : s.offload;
        long[] hashes = e.blockHashes();
        int[] tokens = e.tokenIds();
        if (tokens.length == 0) {
            // An offload tier names blocks the engine already stored: resolve them through this source's map.
            for (long h : hashes) {
                long key = s.resolve(h);
                if (key == CuckooTable.MISSING) {
                    s.orphans++;
                } else {
                    place(s, tier, h, key, gpu);
                }
            }
            return;
        }
        int bs = e.blockSize();
        if (bs <= 0) {
            s.orphans += hashes.length;
            return;
        }
        String lora = e.loraName() != null ? e.loraName() : e.loraId() != null ? String.valueOf(e.loraId()) : null;
        Context ctx = context(lora);
        s.loras.add(lora == null ? "" : lora);
        long prev;
        if (e.parentBlockHash() == null) {
            prev = ctx.seed;
        } else {
            prev = s.resolve(e.parentBlockHash());
            if (prev == CuckooTable.MISSING) {
                // chained to a block this source never stored: unmatchable. Its block size stands in only until a
                // chained store says it (a subscriber that joined mid-stream): vLLM's partial prefix entries chain to a
                // finer hash block (5ac26849 block_pool.py cache_partial_block) and must not change it
                s.orphans += hashes.length;
                if (s.blockSize == 0) {
                    s.blockSize = bs;
                }
                return;
            }
        }
        if (s.blockSize == 0 || e.showsBlockSize()) {
            s.blockSize = bs; // another tier's store names its own block size (Mooncake's database's)
        }
        int n = Math.min(hashes.length, tokens.length / bs);
        List<?> extra = e.extraKeys();
        // Engines before extra_keys existed still hashed the LoRA name into every block: do the same.
        long loraOnly = extra == null && lora != null ? ExtraKeys.hash(List.of(lora)) : 0;
        if (storedKeys.length < n) {
            storedKeys = new long[Math.max(n, 2 * storedKeys.length)];
        }
        long[] keys = storedKeys;
        // SGLang leaves its cache salt out of the block hashes and sends it beside them: key it as vLLM does,
        // an extra key of the prompt's first block (a continuation's parent already carries it).
        long saltedFirst = extra == null && e.cacheSalt() != null && e.parentBlockHash() == null
                ? ExtraKeys.hash(lora == null ? List.of(e.cacheSalt()) : List.of(lora, e.cacheSalt())) : loraOnly;
        for (int i = 0; i < n; i++) {
            // Another tier's store of a block this source holds on GPU is that block: vLLM's offloading connector sends
            // its extra keys as None ("Deferred", 5ac26849 offloading/events.py), so a key computed here would lose a
            // cache salt or image hashes the GPU store carried
            long known = gpu ? CuckooTable.MISSING : s.gpu.get(hashes[i]);
            prev = known != CuckooTable.MISSING ? known : Mix.block(prev, tokens, i * bs, bs, extra == null
                    ? (i == 0 ? saltedFirst : loraOnly) : i < extra.size() ? ExtraKeys.hash(extra.get(i)) : 0);
            keys[i] = prev;
        }
        // The slots of the next window are read while this one is placed: their misses have a window's time to arrive.
        touched += touch(s, tier, hashes, keys, gpu, 0, Math.min(n, WINDOW));
        for (int i = 0; i < n; i += WINDOW) {
            int end = Math.min(n, i + WINDOW);
            touched += touch(s, tier, hashes, keys, gpu, end, Math.min(n, end + WINDOW));
            for (int j = i; j < end; j++) {
                place(s, tier, hashes[j], keys[j], gpu);
            }
        }
        s.orphans += hashes.length - n; // hashes without their tokens
    }

    /** Reads the slots that placing blocks {@code [from, to)} will use (see {@link CuckooTable#touch}). */
    private long touch(SourceState s, CuckooTable tier, long[] hashes, long[] keys, boolean gpu, int from, int to) {
        long t = 0;
        for (int j = from; j < to; j++) {
            t += tier.touch(hashes[j]);
            if (lane == null) { // else the lane's thread reads the residency's slots itself
                t ^= residency.touch(keys[j], s.id, gpu);
            }
        }
        return t;
    }

    private void place(SourceState s, CuckooTable tier, long engineHash, long key, boolean gpu) {
        long old = tier.put(engineHash, key);
        CuckooTable copies = gpu ? s.gpuCopies : s.offloadCopies;
        if (old == key) {
            long n = copies.get(engineHash);
            copies.put(engineHash, n == CuckooTable.MISSING ? 1 : n + 1); // another physical block with this hash
            return;
        }
        if (old != CuckooTable.MISSING) {
            removeResidency(old, s.id, gpu);
            if (copies.size() > 0) {
                copies.remove(engineHash); // the hash now names other content: its old copies are gone
            }
        }
        addResidency(key, s.id, gpu);
    }

    /** Queues a removal's hashes for {@link #flushRemovals}, which applies them in order. */
    private void removed(SourceState s, BlockRemoved e) {
        byte tiers = e.medium() == null ? GPU | OFFLOAD : onGpu(e.medium()) ? GPU : OFFLOAD;
        for (long h : e.blockHashes()) {
            if (removedCount == WINDOW) {
                flushRemovals(s);
            }
            removedHashes[removedCount] = h;
            removedTiers[removedCount++] = tiers;
        }
    }

    /** Applies the queued removals: reads their engine-map slots, then their residency slots, then removes. */
    private void flushRemovals(SourceState s) {
        int n = removedCount;
        if (n == 0) {
            return;
        }
        long t = 0;
        for (int j = 0; j < n; j++) {
            t += (removedTiers[j] == OFFLOAD ? s.offload : s.gpu).touch(removedHashes[j]);
        }
        for (int j = 0; j < n && lane == null; j++) {
            boolean gpu = removedTiers[j] != OFFLOAD;
            long key = (gpu ? s.gpu : s.offload).get(removedHashes[j]);
            if (key != CuckooTable.MISSING) {
                t += residency.touch(key, s.id, gpu);
            }
        }
        touched += t;
        for (int j = 0; j < n; j++) {
            long h = removedHashes[j];
            if ((removedTiers[j] & GPU) != 0) {
                unplace(s, s.gpu, h, true);
            }
            if ((removedTiers[j] & OFFLOAD) != 0) {
                unplace(s, s.offload, h, false);
            }
        }
        removedCount = 0;
    }

    private void unplace(SourceState s, CuckooTable tier, long engineHash, boolean gpu) {
        CuckooTable copies = gpu ? s.gpuCopies : s.offloadCopies;
        if (copies.size() > 0) {
            long n = copies.get(engineHash);
            if (n != CuckooTable.MISSING) {
                if (n == 1) {
                    copies.remove(engineHash);
                } else {
                    copies.put(engineHash, n - 1);
                }
                return; // another copy is still cached
            }
        }
        long key = tier.remove(engineHash);
        if (key != CuckooTable.MISSING) {
            removeResidency(key, s.id, gpu);
        }
    }

    private void clear(SourceState s) {
        s.gpu.forEach((h, key) -> removeResidency(key, s.id, true));
        s.offload.forEach((h, key) -> removeResidency(key, s.id, false));
        s.gpu = sourceTable();
        s.offload = new CuckooTable();
        s.gpuCopies = new CuckooTable(16);
        s.offloadCopies = new CuckooTable(16);
    }

    /** Probes a prompt: per pod of the model, the longest run of its full blocks held from block 0. */
    public ProbeResult probe(ProbeRequest r) {
        settle();
        String model = r.model() != null ? r.model() : onlyModel();
        Context ctx = contexts.get(r.lora() == null ? "" : r.lora());
        List<SourceState> pods = new ArrayList<>();
        // one mask of live runs per page of 64 sources (an index of up to 64 sources has one page)
        long[] aliveAny = new long[Residency.page(Math.max(0, byId.size() - 1)) + 1];
        Set<Integer> sizes = new LinkedHashSet<>();
        for (SourceState s : sources.values()) {
            if (modelOf(s).equals(model) || s.model == null) {
                pods.add(s);
                aliveAny[Residency.page(s.id)] |= Residency.bit(s.id);
                if (s.blockSize > 0) {
                    sizes.add(s.blockSize);
                }
            }
        }
        if (ctx == null || sizes.isEmpty() || pods.stream().noneMatch(s -> modelOf(s).equals(model))) {
            throw new IllegalArgumentException("the index holds no blocks of " + model
                    + (r.lora() == null ? "" : " with LoRA " + r.lora()) + "; it holds " + contextNames());
        }
        if (sizes.size() > 1) {
            throw new IllegalStateException("the pods of " + model + " publish different block sizes " + sizes
                    + ": their blocks cannot be compared");
        }
        int bs = sizes.iterator().next();
        int[] tokens = r.tokens();
        int full = tokens.length / bs;
        int[] anyRun = new int[byId.size()];
        int[] gpuRun = new int[byId.size()];
        long[] aliveGpu = aliveAny.clone();
        int pages = aliveAny.length;
        boolean gpuOnly = !residency.anyOffloaded();
        boolean onePage = pages == 1 && gpuOnly;
        // the pages that still have live runs (a fleet's prompt usually loses all but one or two at its first blocks)
        int[] live = new int[pages];
        int liveCount = 0;
        for (int p = 0; p < pages; p++) {
            if (aliveAny[p] != 0) {
                live[liveCount++] = p;
            }
        }
        boolean plain = r.lora() == null && r.cacheSalt() == null; // no extra keys on any block
        boolean anyAlive = true;
        long prev = ctx.seed;
        long[] keys = new long[PROBE_CHUNK];
        int i = 0;
        // Keys a chunk at a time, then the lookups: independent loads overlap their cache misses.
        while (i < full && anyAlive) {
            int n = Math.min(PROBE_CHUNK, full - i);
            if (plain) {
                for (int j = 0, from = i * bs; j < n; j++, from += bs) {
                    prev = Mix.block(prev, tokens, from, bs, 0);
                    keys[j] = prev;
                }
            } else {
                for (int j = 0; j < n; j++) {
                    prev = Mix.block(prev, tokens, (i + j) * bs, bs, extraFor(r, i + j));
                    keys[j] = prev;
                }
            }
            if (onePage) {
                // Up to 64 sources and nothing offloaded: one mask a block, and the GPU runs are the runs.
                long alive = aliveAny[0];
                for (int j = 0; j < n && alive != 0; j++, i++) {
                    long mask = residency.gpu(keys[j], 0);
                    if ((alive & ~mask) != 0) {
                        alive = close(alive, mask, anyRun, 0, i);
                    }
                }
                aliveAny[0] = alive;
                anyAlive = alive != 0;
                continue;
            }
            if (gpuOnly) {
                // Nothing offloaded: the GPU runs are the runs, and only pages with live runs are read.
                for (int j = 0; j < n && liveCount > 0; j++, i++) {
                    for (int q = 0; q < liveCount; ) {
                        int p = live[q];
                        long mask = residency.gpu(keys[j], p);
                        if ((aliveAny[p] & ~mask) != 0) {
                            aliveAny[p] = close(aliveAny[p], mask, anyRun, p, i);
                            if (aliveAny[p] == 0) {
                                live[q] = live[--liveCount]; // its last run ended: read it no more
                                continue;
                            }
                        }
                        q++;
                    }
                }
                anyAlive = liveCount > 0;
                continue;
            }
            for (int j = 0; j < n && anyAlive; j++, i++) {
                anyAlive = false;
                for (int p = 0; p < pages; p++) {
                    if (aliveAny[p] == 0) {
                        continue;
                    }
                    long gpuMask = residency.gpu(keys[j], p);
                    long anyMask = gpuMask | residency.offload(keys[j], p);
                    aliveAny[p] = close(aliveAny[p], anyMask, anyRun, p, i);
                    aliveGpu[p] = close(aliveGpu[p], gpuMask, gpuRun, p, i);
                    anyAlive |= aliveAny[p] != 0;
                }
            }
        }
        for (int p = 0; p < pages; p++) {
            close(aliveAny[p], 0, anyRun, p, i);
            close(aliveGpu[p], 0, gpuRun, p, i);
        }
        if (gpuOnly) {
            gpuRun = anyRun;
        }
        List<PodMatch> matches = new ArrayList<>();
        int bestRun = 0;
        for (SourceState s : pods) {
            int run = anyRun[s.id];
            bestRun = Math.max(bestRun, run);
            matches.add(new PodMatch(s.name, run, run * bs, full == 0 ? 0 : (double) run / full, gpuRun[s.id]));
        }
        List<String> best = new ArrayList<>();
        for (PodMatch m : matches) {
            if (bestRun > 0 && m.matchedBlocks() == bestRun) {
                best.add(m.pod());
            }
        }
        return new ProbeResult(model, r.lora(), tokens.length, bs, full, matches, best);
    }

    /** Sources of page {@code page} in {@code alive} whose bit is not in {@code mask} end their run at block {@code i}. */
    private static long close(long alive, long mask, int[] runs, int page, int i) {
        long ended = alive & ~mask;
        while (ended != 0) {
            runs[page * Residency.PAGE + Long.numberOfTrailingZeros(ended)] = i;
            ended &= ended - 1;
        }
        return alive & mask;
    }

    /** vLLM's per-block extra keys: the LoRA name on every block, the cache salt on the first. */
    private static long extraFor(ProbeRequest r, int block) {
        if (r.lora() == null && (r.cacheSalt() == null || block > 0)) {
            return 0;
        }
        List<Object> keys = new ArrayList<>(2);
        if (r.lora() != null) {
            keys.add(r.lora());
        }
        if (r.cacheSalt() != null && block == 0) {
            keys.add(r.cacheSalt());
        }
        return ExtraKeys.hash(keys);
    }

    private String onlyModel() {
        Set<String> named = new LinkedHashSet<>();
        boolean any = false;
        for (SourceState s : sources.values()) {
            if (s.blockSize > 0) {
                any = true;
                if (s.model != null) {
                    named.add(s.model);
                }
            }
        }
        if (!any) {
            throw new IllegalStateException("the index holds no blocks yet: nothing to probe");
        }
        if (named.size() > 1) {
            throw new IllegalArgumentException("the index holds several models " + named + ": name one (--model)");
        }
        return named.isEmpty() ? defaultModel : named.iterator().next();
    }

    /** Every (model, LoRA) the sources stored blocks under. */
    private List<String> contextNames() {
        Set<String> names = new LinkedHashSet<>();
        for (SourceState s : sources.values()) {
            for (String lora : s.loras) {
                names.add(modelOf(s) + (lora.isEmpty() ? "" : " (lora " + lora + ")"));
            }
        }
        return List.copyOf(names);
    }

    /** What the index holds. */
    public IndexStats stats() {
        settle();
        List<IndexStats.SourceBlocks> rows = new ArrayList<>();
        long entries = 0;
        long orphans = 0;
        long memory = residency.memoryBytes();
        for (SourceState s : sources.values()) {
            rows.add(new IndexStats.SourceBlocks(s.name, modelOf(s), s.blockSize, s.gpu.size(), s.offload.size(), s.orphans));
            entries += s.gpu.size() + s.offload.size();
            orphans += s.orphans;
            memory += s.gpu.memoryBytes() + s.offload.memoryBytes();
        }
        List<String> warnings = new ArrayList<>();
        Map<String, Set<Integer>> sizes = new TreeMap<>();
        for (SourceState s : sources.values()) {
            if (s.blockSize > 0) {
                sizes.computeIfAbsent(modelOf(s), m -> new LinkedHashSet<>()).add(s.blockSize);
            }
        }
        sizes.forEach((model, set) -> {
            if (set.size() > 1) {
                warnings.add("pods of " + model + " publish different block sizes " + set);
            }
        });
        return new IndexStats(rows, contextNames(), entries, residency.keys(), orphans, memory, warnings);
    }
}
