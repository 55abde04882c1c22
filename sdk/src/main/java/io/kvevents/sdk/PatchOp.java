package io.kvevents.sdk;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** One JSON patch (RFC 6902) operation: {@code add}, {@code remove}, {@code replace} or {@code test}. */
public record PatchOp(String op, String path, Object value) {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    public static PatchOp add(String path, Object value) {
        return new PatchOp("add", path, value);
    }

    public static PatchOp replace(String path, Object value) {
        return new PatchOp("replace", path, value);
    }

    public static PatchOp remove(String path) {
        return new PatchOp("remove", path, null);
    }

    public static PatchOp test(String path, Object value) {
        return new PatchOp("test", path, value);
    }

    /** A JSON pointer segment: {@code ~} and {@code /} escaped. */
    public static String escape(String segment) {
        return segment.replace("~", "~0").replace("/", "~1");
    }

    /** The patch as JSON, as {@code kubectl patch --type=json -p} takes it. */
    public static String toJson(List<PatchOp> patch) {
        List<Map<String, Object>> ops = patch.stream().map(op -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("op", op.op());
            m.put("path", op.path());
            if (!op.op().equals("remove")) {
                m.put("value", op.value());
            }
            return m;
        }).toList();
        return GSON.toJson(ops);
    }

    @Override
    public String toString() {
        return op + " " + path + (op.equals("remove") ? "" : " " + GSON.toJson(value));
    }
}
