package io.kvevents.sdk;

import com.google.gson.stream.JsonWriter;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The JSON Lines form of an event (SPEC §6, {@code tail -o json}):
 * {@code {"source","seq","ts","data_parallel_rank","type", every field of the event under its wire
 * name (absent ones null)}}, block hashes and parents as unsigned decimal strings. An unknown tag
 * prints {@code {"type": TAG, "unknown": true, …its own fields}}.
 */
public final class EventJson {
    private static final HexFormat HEX = HexFormat.of();

    private EventJson() {
    }

    /** One event of a received batch as one JSON line (without the newline). */
    public static String line(ReceivedBatch batch, KvEvent event) {
        StringWriter out = new StringWriter(256);
        write(out, batch.source(), batch.seq(), batch.batch(), event);
        return out.toString();
    }

    /** Writes one event as one JSON object (without the newline). */
    public static void write(Writer out, String source, long seq, EventBatch batch, KvEvent event) {
        try {
            JsonWriter w = new JsonWriter(out);
            w.setSerializeNulls(true);
            w.beginObject();
            w.name("source").value(source);
            w.name("seq").value(seq);
            w.name("ts").jsonValue(Double.isFinite(batch.ts()) ? BigDecimal.valueOf(batch.ts()).toPlainString() : "null");
            w.name("data_parallel_rank").value(batch.dataParallelRank());
            w.name("type").value(event.type());
            if (event instanceof BlockStored s) {
                hashes(w.name("block_hashes"), s.blockHashes());
                hash(w.name("parent_block_hash"), s.parentBlockHash());
                w.name("token_ids").beginArray();
                for (int t : s.tokenIds()) {
                    w.value(t);
                }
                w.endArray();
                w.name("block_size").value(s.blockSize());
                w.name("lora_id").value(s.loraId());
                w.name("medium").value(s.medium());
                w.name("lora_name").value(s.loraName());
                value(w.name("extra_keys"), s.extraKeys());
                w.name("group_idx").value(s.groupIdx());
                w.name("kv_cache_spec_kind").value(s.kvCacheSpecKind());
                w.name("kv_cache_spec_sliding_window").value(s.kvCacheSpecSlidingWindow());
                w.name("locality").value(s.locality());
                w.name("ownership").value(s.ownership());
                w.name("session_id").value(s.sessionId());
            } else if (event instanceof BlockRemoved r) {
                hashes(w.name("block_hashes"), r.blockHashes());
                w.name("medium").value(r.medium());
                w.name("group_idx").value(r.groupIdx());
                w.name("locality").value(r.locality());
                w.name("ownership").value(r.ownership());
            } else if (event instanceof UnknownEvent u) {
                w.name("unknown").value(true);
                if (u.fields() instanceof Map<?, ?> fields) {
                    for (Map.Entry<?, ?> e : fields.entrySet()) {
                        String key = String.valueOf(e.getKey());
                        if (!key.equals("source") && !key.equals("seq") && !key.equals("ts")
                                && !key.equals("data_parallel_rank") && !key.equals("unknown")) {
                            value(w.name(key), e.getValue());
                        }
                    }
                } else {
                    value(w.name("fields"), u.fields());
                }
            }
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void hashes(JsonWriter w, long[] hashes) throws IOException {
        w.beginArray();
        for (long h : hashes) {
            w.value(BlockHashes.format(h));
        }
        w.endArray();
    }

    private static void hash(JsonWriter w, Long h) throws IOException {
        if (h == null) {
            w.nullValue();
        } else {
            w.value(BlockHashes.format(h));
        }
    }

    /** Plain values as JSON; bytes as lowercase hex. */
    private static void value(JsonWriter w, Object v) throws IOException {
        if (v == null) {
            w.nullValue();
        } else if (v instanceof String s) {
            w.value(s);
        } else if (v instanceof Boolean b) {
            w.value(b);
        } else if (v instanceof BigInteger b) {
            w.value(b);
        } else if (v instanceof Number n) {
            w.value(n);
        } else if (v instanceof byte[] bytes) {
            w.value(HEX.formatHex(bytes));
        } else if (v instanceof List<?> list) {
            w.beginArray();
            for (Object o : list) {
                value(w, o);
            }
            w.endArray();
        } else if (v instanceof Map<?, ?> map) {
            w.beginObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                value(w.name(String.valueOf(e.getKey())), e.getValue());
            }
            w.endObject();
        } else {
            w.value(v.toString());
        }
    }
}
