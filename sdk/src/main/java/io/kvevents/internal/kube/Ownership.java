package io.kvevents.internal.kube;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.reflect.TypeToken;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Exactly which fields enable wrote on one object and what they held before, kept on the object in the
 * {@value #ANNOTATION} annotation so that disable needs no backup file. On the gateway it also lists the
 * models ({@code namespace/name}) that use sync through it.
 *
 * @param createdAnnotations true when the object had no annotations before enable (so disable removes the map)
 * @param users the models that use the gateway's sync ({@code namespace/name}); empty on model objects
 * @param fields one entry per field enable wrote
 */
public record Ownership(boolean createdAnnotations, List<String> users, List<Owned> fields) {
    public static final String ANNOTATION = "kvevents.io/undo";
    public static final FieldPath ANNOTATION_PATH = FieldPath.keys("metadata", "annotations", ANNOTATION);
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    /**
     * One field enable wrote.
     *
     * @param hadBefore false when the field was absent before enable (disable removes it)
     * @param before its value before enable (when {@code hadBefore})
     * @param written what enable wrote
     * @param created how many maps or lists enable created to hold it (removed again when left empty)
     */
    public record Owned(FieldPath path, boolean hadBefore, Object before, Object written, int created) {
        public Owned {
            before = hadBefore ? JsonTree.normalize(before) : null;
            written = JsonTree.normalize(written);
        }
    }

    /** What a three-way undo did to one object. */
    public record Undo(List<Owned> restored, List<String> kept) {
    }

    public Ownership {
        users = List.copyOf(users);
        fields = List.copyOf(fields);
    }

    /**
     * The record on an object: empty when it has none, and when it carries the first releases' form (a map
     * of JSON pointers to original values), which {@link #legacy} reads.
     */
    public static Optional<Ownership> read(Map<String, Object> object) {
        Object text = JsonTree.at(object, "metadata", "annotations", ANNOTATION);
        if (text == null) {
            return Optional.empty();
        }
        JsonObject json = parse(text);
        if (!json.has("v")) {
            return Optional.empty();
        }
        List<String> users = new ArrayList<>();
        if (json.get("users") instanceof JsonArray a) {
            a.forEach(u -> users.add(u.getAsString()));
        }
        List<Owned> fields = new ArrayList<>();
        if (json.get("fields") instanceof JsonArray a) {
            for (JsonElement e : a) {
                JsonObject f = e.getAsJsonObject();
                boolean had = f.has("before");
                fields.add(new Owned(FieldPath.parse(f.get("path").getAsString()), had,
                        had ? value(f.get("before")) : null, value(f.get("written")), f.has("created") ? f.get("created").getAsInt() : 0));
            }
        }
        return Optional.of(new Ownership(json.has("createdAnnotations") && json.get("createdAnnotations").getAsBoolean(),
                users, fields));
    }

    /** The first releases' record: JSON pointers (list indexes included) to original values; empty when not that. */
    public static Optional<Map<String, Object>> legacy(Map<String, Object> object) {
        Object text = JsonTree.at(object, "metadata", "annotations", ANNOTATION);
        if (text == null) {
            return Optional.empty();
        }
        JsonObject json = parse(text);
        if (json.has("v")) {
            return Optional.empty();
        }
        Map<String, Object> saved = GSON.fromJson(json, new TypeToken<LinkedHashMap<String, Object>>() { }.getType());
        return Optional.of(saved);
    }

    private static JsonObject parse(Object text) {
        try {
            return JsonParser.parseString(String.valueOf(text)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the " + ANNOTATION + " annotation is not what enable wrote (" + e.getMessage()
                    + "): remove it, or restore the object from the backup enable made", e);
        }
    }

    private static Object value(JsonElement e) {
        return JsonTree.normalize(GSON.fromJson(e, Object.class));
    }

    /** The annotation's text. */
    public String toJson() {
        JsonObject json = new JsonObject();
        json.addProperty("v", 2);
        if (createdAnnotations) {
            json.addProperty("createdAnnotations", true);
        }
        if (!users.isEmpty()) {
            JsonArray a = new JsonArray();
            users.forEach(a::add);
            json.add("users", a);
        }
        JsonArray a = new JsonArray();
        for (Owned f : fields) {
            JsonObject o = new JsonObject();
            o.addProperty("path", f.path().toString());
            if (f.hadBefore()) {
                o.add("before", GSON.toJsonTree(f.before()));
            }
            o.add("written", GSON.toJsonTree(f.written()));
            if (f.created() > 0) {
                o.addProperty("created", f.created());
            }
            a.add(o);
        }
        json.add("fields", a);
        return GSON.toJson(json);
    }

    /** True when it records nothing. */
    public boolean isEmpty() {
        return users.isEmpty() && fields.isEmpty();
    }

    /**
     * This record with a run's writes added: a field written before keeps its first original (enable twice
     * still undoes to the very first state) and takes the latest value written.
     */
    public Ownership merge(List<Owned> run) {
        List<Owned> out = new ArrayList<>(fields);
        for (Owned r : run) {
            int at = indexOf(out, r.path());
            if (at < 0) {
                out.add(r);
            } else {
                Owned first = out.get(at);
                out.set(at, new Owned(r.path(), first.hadBefore(), first.before(), r.written(), first.created()));
            }
        }
        return new Ownership(createdAnnotations, users, out);
    }

    public Ownership withUser(String user) {
        if (users.contains(user)) {
            return this;
        }
        List<String> u = new ArrayList<>(users);
        u.add(user);
        return new Ownership(createdAnnotations, u, fields);
    }

    public Ownership withoutUser(String user) {
        List<String> u = new ArrayList<>(users);
        u.remove(user);
        return new Ownership(createdAnnotations, u, fields);
    }

    /** This record without the fields that {@code drop} accepts. */
    public Ownership without(Predicate<Owned> drop) {
        return new Ownership(createdAnnotations, users, fields.stream().filter(drop.negate()).toList());
    }

    /** The entry for a path, if this record has one. */
    public Optional<Owned> field(FieldPath path) {
        int at = indexOf(fields, path);
        return at < 0 ? Optional.empty() : Optional.of(fields.get(at));
    }

    private static int indexOf(List<Owned> list, FieldPath path) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i).path().equals(path)) {
                return i;
            }
        }
        return -1;
    }

    /** Stores the record on the object, or removes it (and an annotations map it created) when it is empty. */
    public void store(Map<String, Object> object) {
        if (isEmpty()) {
            ANNOTATION_PATH.remove(object, createdAnnotations ? 1 : 0);
        } else {
            ANNOTATION_PATH.set(object, toJson());
        }
    }

    /**
     * The three-way undo of some owned fields on {@code object}: a field that still holds what enable wrote
     * goes back to what it held before (or is removed when enable added it); one that was changed or removed
     * since is left as the user set it and reported in {@link Undo#kept()}, unless {@code force}. A field whose
     * holder is gone (a renamed container) or cannot be read any more (a script grown into several commands)
     * is reported and left, even with {@code force}.
     *
     * @param what names the object in the reports ({@code deployment.apps/x})
     * @param forceHint how the report says that force would put it back, or null where there is no such option
     */
    public static Undo undo(Map<String, Object> object, List<Owned> owned, boolean force, String what, String forceHint) {
        List<Owned> restored = new ArrayList<>();
        List<String> kept = new ArrayList<>();
        // the last written first: list elements added later sit after earlier ones
        for (int i = owned.size() - 1; i >= 0; i--) {
            Owned f = owned.get(i);
            try {
                if (!f.path().holderPresent(object)) {
                    kept.add(what + " " + f.path() + ": what held it is gone (a renamed container?): left as it is");
                    continue;
                }
                Optional<Object> now = f.path().get(object);
                boolean untouched = now.isPresent() && JsonTree.same(now.get(), f.written());
                if (now.isEmpty() && !f.hadBefore()) {
                    restored.add(f); // already gone
                    continue;
                }
                if (!untouched && !force) {
                    kept.add(what + " " + f.path() + (now.isEmpty() ? " was removed" : " was changed") + " since enable:"
                            + " left as it is" + (forceHint == null ? "" : " (" + forceHint + " puts back "
                                    + (f.hadBefore() ? GSON.toJson(f.before()) : "nothing") + ")"));
                    continue;
                }
                if (f.hadBefore()) {
                    f.path().set(object, JsonTree.copy(f.before()));
                } else {
                    f.path().remove(object, f.created());
                }
                restored.add(f);
            } catch (IllegalArgumentException | IllegalStateException unreadable) {
                kept.add(what + " " + f.path() + " cannot be read any more (" + unreadable.getMessage().lines().findFirst()
                        .orElse("") + "): left as it is");
            }
        }
        return new Undo(restored, kept);
    }
}
