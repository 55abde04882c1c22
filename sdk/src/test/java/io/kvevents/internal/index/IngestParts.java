package io.kvevents.internal.index;

import io.kvevents.internal.sim.SimulatedEngine;
import io.kvevents.sdk.BlockRemoved;
import io.kvevents.sdk.BlockStored;
import io.kvevents.sdk.EventBatch;
import io.kvevents.sdk.KvEvent;
import io.kvevents.sdk.TraceRequest;
import io.kvevents.sdk.Wire;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Where an ingest's time goes (docs/performance.md, "Where a stored block's time goes"): the bench's workload
 * (the conversation trace over simulated pods) taken apart, each part timed alone, in ns per stored block:
 *
 * <ul>
 *   <li>{@code decode}: every payload decoded, nothing applied;
 *   <li>{@code apply}: the decoded batches applied to a growing index;
 *   <li>{@code tables}: only the index's table operations, replayed from the trace (each stored block's engine hash
 *       and chain key, each removal's), through the pods' engine-hash maps and the residency table, with the
 *       index's window of slot reads;
 *   <li>{@code floor}: the same operations as one read-modify-write each in two plain arrays the size of those
 *       tables, at a hash of the engine hash and of the key: the memory accesses alone, no table logic.
 * </ul>
 *
 * <p>{@code java -Xmx12g -XX:+UseSerialGC -cp sdk/target/test-classes:sdk/target/classes:<the sdk's classpath>
 * io.kvevents.internal.index.IngestParts [PODS [BLOCKS [RUNS]]]} (16, 131,072, 3), from the repository's root (it
 * reads the trace from {@code examples/}). A scratch tool, not a test. The replay leaves out what the index does for a
 * hash stored twice (a second copy): the simulated engines store a hash once.
 */
public final class IngestParts {
    private static final int WINDOW = 16;

    private final List<String> sources = new ArrayList<>();
    private final List<byte[]> payloads = new ArrayList<>();
    private final List<EventBatch> batches = new ArrayList<>();
    private long stored;
    /** The table operations: source, engine hash, chain key (of the removed entry for a removal), removal or not. */
    private int[] opSource;
    private long[] opHash;
    private long[] opKey;
    private boolean[] opRemoval;
    private int ops;

    private IngestParts() {
    }

    public static void main(String[] args) {
        int pods = args.length > 0 ? Integer.parseInt(args[0]) : 16;
        int blocks = args.length > 1 ? Integer.parseInt(args[1]) : 131_072;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        IngestParts w = new IngestParts();
        w.build(pods, blocks);
        System.out.printf("%d stored blocks, %d table operations, %d pods of %d blocks%n", w.stored, w.ops, pods, blocks);
        for (int run = 0; run < runs; run++) {
            long t0 = System.nanoTime();
            long sink = 0;
            for (byte[] p : w.payloads) {
                sink += Wire.decode(p).events().size();
            }
            w.report("decode", t0, sink);
            t0 = System.nanoTime();
            IndexCore index = new IndexCore("m");
            for (int i = 0; i < w.batches.size(); i++) {
                index.apply(w.sources.get(i), "", w.batches.get(i));
            }
            w.report("apply", t0, index.stats().residentEntries());
            t0 = System.nanoTime();
            w.report("tables", t0, w.tables(pods));
            t0 = System.nanoTime();
            w.report("floor", t0, w.floor(pods, blocks));
        }
    }

    private void report(String part, long t0, long sink) {
        double ns = (System.nanoTime() - t0) / (double) stored;
        System.out.printf("%-7s %6.0f ns a stored block (%.2f M blocks/s)   [%d]%n", part, ns, 1e3 / ns, sink);
    }

    private void build(int pods, int blocks) {
        List<TraceRequest> trace = TraceRequest.read(Path.of("examples/traces/mooncake-conversation-trace.jsonl"),
                Integer.MAX_VALUE);
        List<SimulatedEngine> engines = new ArrayList<>();
        Random salts = new Random(7);
        for (int i = 0; i < pods; i++) {
            engines.add(new SimulatedEngine(16, blocks, salts.nextLong()));
        }
        int n = 0;
        for (TraceRequest r : trace) {
            int pod = n++ % pods;
            List<KvEvent> events = engines.get(pod).serve(r.tokens()).events();
            sources.add("pod-" + pod);
            payloads.add(Wire.encode(new EventBatch(r.timestampMs() / 1000.0, events, 0)));
            batches.add(Wire.decode(payloads.get(payloads.size() - 1)));
        }
        int capacity = 0;
        for (EventBatch b : batches) {
            for (KvEvent e : b.events()) {
                capacity += e instanceof BlockStored s ? s.blockHashes().length
                        : e instanceof BlockRemoved r ? r.blockHashes().length : 0;
            }
        }
        opSource = new int[capacity];
        opHash = new long[capacity];
        opKey = new long[capacity];
        opRemoval = new boolean[capacity];
        long seed = Mix.string("\u0000"); // the base model's context, as IndexCore seeds it
        CuckooTable[] maps = new CuckooTable[pods];
        for (int i = 0; i < pods; i++) {
            maps[i] = new CuckooTable();
        }
        for (int b = 0; b < batches.size(); b++) {
            int source = Integer.parseInt(sources.get(b).substring(4));
            CuckooTable map = maps[source];
            for (KvEvent e : batches.get(b).events()) {
                if (e instanceof BlockStored s) {
                    long prev = s.parentBlockHash() == null ? seed : map.get(s.parentBlockHash());
                    for (int i = 0; i < s.blockHashes().length; i++) {
                        prev = Mix.block(prev, s.tokenIds(), i * 16, 16, 0);
                        map.put(s.blockHashes()[i], prev);
                        add(source, s.blockHashes()[i], prev, false);
                    }
                    stored += s.blockHashes().length;
                } else if (e instanceof BlockRemoved r) {
                    for (long h : r.blockHashes()) {
                        add(source, h, map.remove(h), true);
                    }
                }
            }
        }
    }

    private void add(int source, long hash, long key, boolean removal) {
        opSource[ops] = source;
        opHash[ops] = hash;
        opKey[ops] = key;
        opRemoval[ops++] = removal;
    }

    /** The operations through the index's own tables, slots read a window ahead as the index reads them. */
    private long tables(int pods) {
        CuckooTable[] maps = new CuckooTable[pods];
        for (int i = 0; i < pods; i++) {
            maps[i] = new CuckooTable();
        }
        Residency residency = new Residency();
        long touched = 0;
        for (int from = 0; from < ops; from += WINDOW) {
            int to = Math.min(ops, from + WINDOW);
            for (int i = to; i < Math.min(ops, to + WINDOW); i++) {
                touched += maps[opSource[i]].touch(opHash[i]);
                if (opKey[i] != CuckooTable.MISSING) {
                    touched += residency.touch(opKey[i], opSource[i], true);
                }
            }
            for (int i = from; i < to; i++) {
                int s = opSource[i];
                if (opRemoval[i]) {
                    long key = maps[s].remove(opHash[i]);
                    if (key != CuckooTable.MISSING) {
                        residency.remove(key, s, true);
                    }
                } else {
                    long old = maps[s].put(opHash[i], opKey[i]);
                    if (old != CuckooTable.MISSING && old != opKey[i]) {
                        residency.remove(old, s, true);
                    }
                    if (old != opKey[i]) {
                        residency.add(opKey[i], s, true);
                    }
                }
            }
        }
        return residency.keys() + (touched & 1);
    }

    /**
     * The same operations as memory accesses alone: each reads and writes one 16-byte slot of its pod's array and one
     * of a shared array, at a hash of the engine hash and of the key (16-byte slots, a pod's blocks in each pod's
     * array and every pod's in the shared one, rounded down to a power of two: about the index's tables' sizes).
     * Collisions overwrite: the result is meaningless, the accesses are the index's.
     */
    private long floor(int pods, int blocks) {
        int perPod = Integer.highestOneBit(Math.max(2, blocks));
        long[][] maps = new long[pods][2 * perPod];
        long[] shared = new long[2 * (int) Long.highestOneBit(Math.max(2, (long) pods * blocks))];
        int mapMask = perPod - 1;
        int sharedMask = shared.length / 2 - 1;
        long sink = 0;
        for (int i = 0; i < ops; i++) {
            long[] map = maps[opSource[i]];
            int m = (int) (Mix.spread(opHash[i]) & mapMask) * 2;
            long key = opKey[i];
            if (opRemoval[i]) {
                key = map[m + 1];
                map[m] = 0;
            } else {
                map[m] = opHash[i];
                map[m + 1] = key;
            }
            int r = (int) (Mix.spread(key) & sharedMask) * 2;
            shared[r] = key;
            shared[r + 1] ^= 1L << opSource[i];
            sink += shared[r + 1];
        }
        return sink;
    }
}
