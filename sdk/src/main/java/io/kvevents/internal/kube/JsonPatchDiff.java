package io.kvevents.internal.kube;

import io.kvevents.sdk.PatchOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The JSON patch that turns one object tree into another: maps key by key, any other change
 * (scalars, lists) replaced whole. Lists are replaced rather than edited by index so that the patch
 * stays right whatever the list held. When the object carries a resourceVersion the patch sets it again:
 * the API server then refuses it with 409 Conflict if the object changed since it was read.
 */
public final class JsonPatchDiff {
    private JsonPatchDiff() {
    }

    public static List<PatchOp> diff(Map<String, Object> before, Map<String, Object> after) {
        List<PatchOp> ops = new ArrayList<>();
        maps("", before, after, ops);
        if (!ops.isEmpty() && before.get("metadata") instanceof Map<?, ?> meta && meta.get("resourceVersion") != null) {
            ops.add(0, PatchOp.replace("/metadata/resourceVersion", meta.get("resourceVersion")));
        }
        return ops;
    }

    @SuppressWarnings("unchecked")
    private static void maps(String path, Map<String, Object> before, Map<String, Object> after, List<PatchOp> ops) {
        for (Map.Entry<String, Object> e : before.entrySet()) {
            if (!after.containsKey(e.getKey())) {
                ops.add(PatchOp.remove(path + "/" + PatchOp.escape(e.getKey())));
            }
        }
        for (Map.Entry<String, Object> e : after.entrySet()) {
            String p = path + "/" + PatchOp.escape(e.getKey());
            Object b = before.get(e.getKey());
            Object a = e.getValue();
            if (!before.containsKey(e.getKey())) {
                ops.add(PatchOp.add(p, a));
            } else if (b instanceof Map<?, ?> bm && a instanceof Map<?, ?> am) {
                maps(p, (Map<String, Object>) bm, (Map<String, Object>) am, ops);
            } else if (!Objects.equals(b, a)) {
                ops.add(PatchOp.replace(p, a));
            }
        }
    }
}
