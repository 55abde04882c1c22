package io.kvevents.sdk;

import com.google.gson.stream.JsonWriter;
import io.kvevents.internal.wire.EventSchema;
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
 * The JSON Lines form of an event (docs/cli.md, {@code tail -o json}):
 * {@code {"source","seq","ts","data_parallel_rank","type", every field of the event under its wire
 * name in {@link EventSchema}'s order (absent ones null)}}, block hashes and parents as unsigned decimal strings. An unknown tag
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
            EventSchema.Type type = EventSchema.of(event);
            if (type != null) {
                Object[] values = type.values(event);
                for (EventSchema.Field f : type.fields()) {
                    field(w.name(f.name()), f, values[f.slot()]);
                }
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

    /** A field by its kind: hashes as unsigned decimal strings, token ids as numbers, the rest as values. */
    private static void field(JsonWriter w, EventSchema.Field f, Object v) throws IOException {
        if (v == null) {
            w.nullValue();
            return;
        }
        switch (f.kind()) {
            case HASHES -> {
                w.beginArray();
                for (long h : (long[]) v) {
                    w.value(BlockHashes.format(h));
                }
                w.endArray();
            }
            case HASH -> w.value(BlockHashes.format((Long) v));
            case TOKENS -> {
                w.beginArray();
                for (int t : (int[]) v) {
                    w.value(t);
                }
                w.endArray();
            }
            default -> value(w, v);
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
