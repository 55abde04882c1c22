package io.kvevents.internal.kube;

import io.kvevents.sdk.ObjectRef;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The objects an enable saved before it changed them ({@code --backup-dir}: one YAML file per object), and each one
 * put back over the object as it is now: its spec, labels and annotations become the saved ones again. Everything
 * the server and the controllers keep (status, uid, resourceVersion, {@code deployment.kubernetes.io/} annotations,
 * managedFields) stays as it is now, so the result is the saved object as a {@code kubectl replace} of it would leave
 * it, sent as a JSON patch that carries the resourceVersion it was planned from.
 */
public final class BackupRestore {
    /** Annotations a controller keeps (the Deployment's revision): putting back an old value would misname it. */
    private static final String CONTROLLER_ANNOTATIONS = "deployment.kubernetes.io/";

    private BackupRestore() {
    }

    /** One saved object and the file it came from. */
    public record Saved(Path file, Map<String, Object> object) {
        public ObjectRef ref() {
            return ObjectRef.of(object);
        }
    }

    /**
     * The files of the objects saved in {@code dir}, one {@code .yaml} file each, in name order.
     *
     * @throws IllegalArgumentException when {@code dir} is not a backup (no such directory, no saved object)
     */
    public static List<Path> files(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + " is not a directory: give the --backup-dir enable wrote to"
                    + " (by default ~/.kvevents/backups/<time>)");
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(f -> f.getFileName().toString().endsWith(".yaml")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the backup in " + dir + ": " + e.getMessage(), e);
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(dir + " holds no saved object (.yaml file): give the --backup-dir"
                    + " enable wrote to");
        }
        return files;
    }

    /**
     * The object saved in {@code file}, from the objects read from it.
     *
     * @throws IllegalArgumentException when the file does not hold exactly one object
     */
    @SuppressWarnings("unchecked")
    public static Saved saved(Path file, List<Map<String, Object>> objects) {
        if (objects.size() != 1 || !(JsonTree.at(objects.get(0), "metadata", "name") instanceof String)) {
            throw new IllegalArgumentException(file + " is not one saved object (it holds " + objects.size()
                    + "): a backup file holds exactly one");
        }
        return new Saved(file, (Map<String, Object>) asRead(objects.get(0)));
    }

    /**
     * The saved objects an enable of the model whose Deployment is {@code model} changed: that Deployment, the Services
     * that select its pods, the gateway (a saved Deployment that runs no engine) and any other kind. A folder several
     * enables wrote to ({@code --one-at-a-time}, or one {@code --backup-dir} given twice) also holds other models'
     * Deployments and Services: those are not this model's to put back.
     */
    public static List<Saved> ofModel(List<Saved> saved, Map<String, Object> model) {
        List<Map<String, Object>> objects = saved.stream().map(Saved::object).toList();
        List<Map<String, Object>> services = Workloads.selectingServices(objects, model);
        return saved.stream().filter(s -> {
            Object kind = s.object().get("kind");
            if ("Deployment".equals(kind)) {
                return s.object() == model || isGateway(s.object());
            }
            return !"Service".equals(kind) || services.stream().anyMatch(v -> v == s.object());
        }).toList();
    }

    /** A saved Deployment that runs no engine: the gateway an enable wrote, whatever its name. */
    public static boolean isGateway(Map<String, Object> object) {
        return "Deployment".equals(object.get("kind")) && !Workloads.runsEngine(object);
    }

    /** {@code now} with the saved object's spec, labels and annotations (a controller's own annotations kept). */
    public static Map<String, Object> restored(Map<String, Object> now, Map<String, Object> saved) {
        Map<String, Object> out = JsonTree.copy(now);
        if (saved.containsKey("spec")) {
            out.put("spec", JsonTree.copy(saved.get("spec")));
        } else {
            out.remove("spec");
        }
        for (String key : List.of("data", "binaryData", "stringData")) { // a ConfigMap or Secret keeps these, not spec
            if (saved.containsKey(key)) {
                out.put(key, JsonTree.copy(saved.get(key)));
            } else {
                out.remove(key);
            }
        }
        Map<String, Object> meta = metadata(out);
        Map<String, Object> savedMeta = metadata(saved);
        putOrRemove(meta, "labels", savedMeta.get("labels"));
        Map<String, Object> annotations = new LinkedHashMap<>();
        if (savedMeta.get("annotations") instanceof Map<?, ?> a) {
            a.forEach((k, v) -> {
                if (!String.valueOf(k).startsWith(CONTROLLER_ANNOTATIONS)) {
                    annotations.put(String.valueOf(k), v);
                }
            });
        }
        if (meta.get("annotations") instanceof Map<?, ?> a) {
            a.forEach((k, v) -> {
                if (String.valueOf(k).startsWith(CONTROLLER_ANNOTATIONS)) {
                    annotations.put(String.valueOf(k), v);
                }
            });
        }
        putOrRemove(meta, "annotations", annotations.isEmpty() ? null : annotations);
        return out;
    }

    /**
     * The tree with its whole numbers as the API server's objects are read ({@code long}): YAML reads small ones as
     * {@code int}, and a patch would otherwise rewrite every number to the same value.
     */
    private static Object asRead(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, x) -> out.put(String.valueOf(k), asRead(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            return l.stream().map(BackupRestore::asRead).collect(java.util.stream.Collectors.toList());
        }
        if (v instanceof Integer || v instanceof Short || v instanceof Byte) {
            return ((Number) v).longValue();
        }
        return v instanceof Float f ? (Object) f.doubleValue() : v;
    }

    private static void putOrRemove(Map<String, Object> m, String key, Object value) {
        if (value == null) {
            m.remove(key);
        } else {
            m.put(key, JsonTree.copy(value));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> metadata(Map<String, Object> object) {
        Object meta = object.get("metadata");
        if (meta instanceof Map<?, ?>) {
            return (Map<String, Object>) meta;
        }
        Map<String, Object> created = new LinkedHashMap<>();
        object.put("metadata", created);
        return created;
    }
}
