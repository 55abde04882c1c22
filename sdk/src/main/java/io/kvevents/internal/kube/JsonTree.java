package io.kvevents.internal.kube;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Kubernetes objects as plain trees of maps, lists and scalars (what YAML, Gson and the API server give):
 * reading paths without adding anything, children created on demand, deep copies, and an equality that
 * does not care whether a number was read as an int, a long or a double.
 */
public final class JsonTree {
    private JsonTree() {
    }

    /** The value at a path of map keys, or null; reading never adds anything. */
    public static Object at(Map<String, Object> m, String... keys) {
        Object node = m;
        for (String k : keys) {
            if (!(node instanceof Map<?, ?> map)) {
                return null;
            }
            node = map.get(k);
        }
        return node;
    }

    /** The map under a key, created (and stored) when absent. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> child(Map<String, Object> m, String key) {
        if (m.get(key) instanceof Map<?, ?> existing) {
            return (Map<String, Object>) existing;
        }
        Map<String, Object> created = new LinkedHashMap<>();
        m.put(key, created);
        return created;
    }

    /** The map at a path of keys, every missing level created. */
    public static Map<String, Object> child(Map<String, Object> m, String... keys) {
        Map<String, Object> node = m;
        for (String k : keys) {
            node = child(node, k);
        }
        return node;
    }

    /** The list under a key, created (and stored) when absent. */
    @SuppressWarnings("unchecked")
    public static List<Object> list(Map<String, Object> m, String key) {
        if (m.get(key) instanceof List<?> existing) {
            return (List<Object>) existing;
        }
        List<Object> created = new ArrayList<>();
        m.put(key, created);
        return created;
    }

    /** The list under a key, or an empty one; reading never adds the key. */
    @SuppressWarnings("unchecked")
    public static List<Object> existing(Map<String, Object> m, String key) {
        return m != null && m.get(key) instanceof List<?> l ? (List<Object>) l : List.of();
    }

    /** The maps of a list (its other elements skipped). */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> maps(Object list) {
        List<Map<String, Object>> out = new ArrayList<>();
        if (list instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Map<?, ?> m) {
                    out.add((Map<String, Object>) m);
                }
            }
        }
        return out;
    }

    /** A Deployment's (or pod template's) containers; empty when it has none. */
    public static List<Map<String, Object>> containers(Map<String, Object> deployment) {
        return maps(at(deployment, "spec", "template", "spec", "containers"));
    }

    /** {@code metadata.name}. */
    public static String name(Map<String, Object> o) {
        return String.valueOf(at(o, "metadata", "name"));
    }

    /** {@code metadata.namespace}, or null. */
    public static String namespace(Map<String, Object> o) {
        Object ns = at(o, "metadata", "namespace");
        return ns == null ? null : String.valueOf(ns);
    }

    /** {@code deployment.apps/name}, as kubectl names objects. */
    public static String target(Map<String, Object> o) {
        return io.kvevents.sdk.ObjectRef.of(o).target();
    }

    /** A deep copy (maps keep their order). */
    @SuppressWarnings("unchecked")
    public static <T> T copy(T v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            ((Map<String, Object>) m).forEach((k, x) -> out.put(k, copy(x)));
            return (T) out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(copy(x)));
            return (T) out;
        }
        return v;
    }

    /**
     * A deep copy whose whole numbers are ints (or longs): Gson reads every JSON number as a double, and
     * a containerPort written back as 5557.0 is refused by the API server.
     */
    @SuppressWarnings("unchecked")
    public static Object normalize(Object v) {
        if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) {
            long l = d.longValue();
            return l <= Integer.MAX_VALUE && l >= Integer.MIN_VALUE ? (Object) (int) l : (Object) l;
        }
        if (v instanceof Long l && l <= Integer.MAX_VALUE && l >= Integer.MIN_VALUE) {
            return l.intValue();
        }
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            ((Map<String, Object>) m).forEach((k, x) -> out.put(k, normalize(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(normalize(x)));
            return out;
        }
        return v;
    }

    /** Deep equality in which 5557, 5557L and 5557.0 are the same number. */
    public static boolean same(Object a, Object b) {
        if (a instanceof Number x && b instanceof Number y) {
            return x.doubleValue() == y.doubleValue();
        }
        if (a instanceof Map<?, ?> x && b instanceof Map<?, ?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (Map.Entry<?, ?> e : x.entrySet()) {
                if (!y.containsKey(e.getKey()) || !same(e.getValue(), y.get(e.getKey()))) {
                    return false;
                }
            }
            return true;
        }
        if (a instanceof List<?> x && b instanceof List<?> y) {
            if (x.size() != y.size()) {
                return false;
            }
            for (int i = 0; i < x.size(); i++) {
                if (!same(x.get(i), y.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return Objects.equals(a, b);
    }
}
