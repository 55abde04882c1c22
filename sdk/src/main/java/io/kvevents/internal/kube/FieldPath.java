package io.kvevents.internal.kube;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where one field enable writes lives in an object, addressed so that it survives edits made around it:
 * list elements by their key, never by index ({@code containers[name=vllm]}, {@code env[name=POD_IP]}),
 * and a command-line flag by its name ({@code args[flag=--kv-events-config]}: the word after the flag, or
 * what follows {@code =}). Written as a JSON pointer with such selectors:
 * {@code /spec/template/spec/containers[name=vllm]/ports[name=kv-events]}.
 */
public record FieldPath(List<Segment> segments) {
    private static final Pattern SELECTOR = Pattern.compile("(.*)\\[([a-zA-Z]+)=(.*)]");

    /** One step of a path. */
    public sealed interface Segment permits Key, Item, Flag, Switch, ScriptFlag {
    }

    /**
     * The value of command-line flag {@code flag} inside the container's shell script ({@code sh -c "vllm serve …"},
     * see {@link ShellScript}); it ends a path whose holder is the container.
     */
    public record ScriptFlag(String flag) implements Segment {
    }

    /** A map key. */
    public record Key(String name) implements Segment {
    }

    /** The map element of list {@code list} whose {@code field} equals {@code value}. */
    public record Item(String list, String field, String value) implements Segment {
    }

    /** The value of command-line flag {@code flag} in the list of words {@code list}. */
    public record Flag(String list, String flag) implements Segment {
    }

    /** A command-line flag without a value ({@code --enable-kv-cache-events}) in the list of words {@code list}: true when there. */
    public record Switch(String list, String flag) implements Segment {
    }

    public FieldPath {
        segments = List.copyOf(segments);
        if (segments.isEmpty()) {
            throw new IllegalArgumentException("a field path needs at least one segment");
        }
    }

    /** Parses {@link #toString()}'s form. */
    public static FieldPath parse(String text) {
        if (!text.startsWith("/")) {
            throw new IllegalArgumentException("not a field path: " + text);
        }
        List<Segment> out = new ArrayList<>();
        for (String raw : text.substring(1).split("/", -1)) {
            Matcher m = SELECTOR.matcher(raw);
            if (m.matches()) {
                String list = unescape(m.group(1));
                String value = unescape(m.group(3));
                out.add(switch (m.group(2)) {
                    case "script" -> new ScriptFlag(value);
                    case "flag" -> new Flag(list, value);
                    case "switch" -> new Switch(list, value);
                    default -> new Item(list, m.group(2), value);
                });
            } else {
                out.add(new Key(unescape(raw)));
            }
        }
        return new FieldPath(out);
    }

    /** A path of plain map keys. */
    public static FieldPath keys(String... keys) {
        return new FieldPath(java.util.Arrays.stream(keys).map(k -> (Segment) new Key(k)).toList());
    }

    /** This path with one more segment. */
    public FieldPath then(Segment next) {
        List<Segment> s = new ArrayList<>(segments);
        s.add(next);
        return new FieldPath(s);
    }

    /** This path with a map key appended. */
    public FieldPath key(String name) {
        return then(new Key(name));
    }

    /** This path with a keyed list element appended. */
    public FieldPath item(String list, String field, String value) {
        return then(new Item(list, field, value));
    }

    /** True when what holds the field (the container, the map) is there, whether or not the field is. */
    public boolean holderPresent(Map<String, Object> root) {
        return segments.size() == 1 || new FieldPath(segments.subList(0, segments.size() - 1)).get(root).isPresent();
    }

    /** The field's value, empty when it is absent. */
    public Optional<Object> get(Map<String, Object> root) {
        Object node = root;
        for (Segment s : segments) {
            Optional<Object> next = step(node, s);
            if (next.isEmpty()) {
                return next;
            }
            node = next.get();
        }
        return Optional.of(node);
    }

    private static Optional<Object> step(Object node, Segment s) {
        if (!(node instanceof Map<?, ?> map)) {
            return Optional.empty();
        }
        if (s instanceof Key k) {
            return map.containsKey(k.name()) ? Optional.ofNullable(map.get(k.name())) : Optional.empty();
        }
        if (s instanceof Item i) {
            return JsonTree.maps(map.get(i.list())).stream()
                    .filter(e -> i.value().equals(String.valueOf(e.get(i.field())))).findFirst().map(e -> (Object) e);
        }
        if (s instanceof Switch w) {
            return JsonTree.existing(castMap(map), w.list()).contains(w.flag()) ? Optional.of(Boolean.TRUE) : Optional.empty();
        }
        if (s instanceof ScriptFlag sf) {
            return ShellScript.locate(castMap(map)).flatMap(at -> ShellScript.flag(ShellScript.text(castMap(map), at), sf.flag()))
                    .map(v -> (Object) v);
        }
        Flag f = (Flag) s;
        return flagValue(map.get(f.list()), f.flag());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> m) {
        return (Map<String, Object>) m;
    }

    private static Optional<Object> flagValue(Object words, String flag) {
        if (!(words instanceof List<?> l)) {
            return Optional.empty();
        }
        for (int i = 0; i < l.size(); i++) {
            String w = String.valueOf(l.get(i));
            if (w.equals(flag)) {
                return Optional.of(i + 1 < l.size() ? String.valueOf(l.get(i + 1)) : "");
            }
            if (w.startsWith(flag + "=")) {
                return Optional.of(w.substring(flag.length() + 1));
            }
        }
        return Optional.empty();
    }

    /**
     * Sets the field, creating what is missing on the way.
     *
     * @return how many maps and lists on the way had to be created (so that removing the field can remove
     *     them again)
     */
    @SuppressWarnings("unchecked")
    public int set(Map<String, Object> root, Object value) {
        int created = 0;
        Map<String, Object> node = root;
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            boolean last = i == segments.size() - 1;
            if (s instanceof Key k) {
                if (last) {
                    node.put(k.name(), value);
                    return created;
                }
                if (!(node.get(k.name()) instanceof Map<?, ?>)) {
                    created++;
                }
                node = JsonTree.child(node, k.name());
            } else if (s instanceof Item it) {
                if (!(node.get(it.list()) instanceof List<?>)) {
                    created++;
                }
                List<Object> list = JsonTree.list(node, it.list());
                int at = indexOf(list, it);
                if (last) {
                    if (at < 0) {
                        list.add(value);
                    } else {
                        list.set(at, value);
                    }
                    return created;
                }
                if (at < 0) {
                    throw new IllegalStateException("no " + it.list() + " element with " + it.field() + "=" + it.value()
                            + " to change " + this);
                }
                node = (Map<String, Object>) list.get(at);
            } else if (s instanceof ScriptFlag sf) {
                Map<String, Object> container = node;
                ShellScript.Location at = ShellScript.locate(container)
                        .orElseThrow(() -> new IllegalStateException("no shell script to change " + this));
                JsonTree.list(container, at.field()).set(at.index(),
                        ShellScript.withFlag(ShellScript.text(container, at), sf.flag(), String.valueOf(value)));
                return created;
            } else if (s instanceof Switch w) {
                if (!last) {
                    throw new IllegalStateException("a flag ends a field path: " + this);
                }
                if (!(node.get(w.list()) instanceof List<?>)) {
                    created++;
                }
                List<Object> words = JsonTree.list(node, w.list());
                if (!words.contains(w.flag())) {
                    words.add(w.flag());
                }
                return created;
            } else {
                Flag f = (Flag) s;
                if (!last) {
                    throw new IllegalStateException("a flag ends a field path: " + this);
                }
                if (!(node.get(f.list()) instanceof List<?>)) {
                    created++;
                }
                setFlag(JsonTree.list(node, f.list()), f.flag(), String.valueOf(value));
                return created;
            }
        }
        throw new IllegalStateException("unreachable: " + this);
    }

    private static void setFlag(List<Object> words, String flag, String value) {
        for (int i = 0; i < words.size(); i++) {
            String w = String.valueOf(words.get(i));
            if (w.equals(flag)) {
                if (i + 1 < words.size()) {
                    words.set(i + 1, value);
                } else {
                    words.add(value);
                }
                return;
            }
            if (w.startsWith(flag + "=")) {
                words.set(i, flag + "=" + value);
                return;
            }
        }
        words.add(flag);
        words.add(value);
    }

    /**
     * Removes the field, then up to {@code prune} of the maps and lists that held it, each only when it
     * is left empty.
     */
    @SuppressWarnings("unchecked")
    public void remove(Map<String, Object> root, int prune) {
        List<Object> chain = new ArrayList<>(); // the maps and lists from the root down to the field's holder
        Object node = root;
        chain.add(root);
        for (int i = 0; i < segments.size() - 1; i++) {
            Segment s = segments.get(i);
            if (s instanceof Item it && node instanceof Map<?, ?> m && m.get(it.list()) instanceof List<?> l) {
                chain.add(l);
            }
            Optional<Object> next = step(node, s);
            if (next.isEmpty()) {
                return;
            }
            node = next.get();
            chain.add(node);
        }
        if (!(node instanceof Map<?, ?> holder)) {
            return;
        }
        Map<String, Object> h = (Map<String, Object>) holder;
        Segment s = segments.get(segments.size() - 1);
        if (s instanceof Key k) {
            h.remove(k.name());
        } else if (s instanceof ScriptFlag sf) {
            ShellScript.locate(h).ifPresent(at -> JsonTree.list(h, at.field()).set(at.index(),
                    ShellScript.withoutFlag(ShellScript.text(h, at), sf.flag())));
        } else {
            String listKey = s instanceof Item it ? it.list() : s instanceof Switch w ? w.list() : ((Flag) s).list();
            List<Object> list = JsonTree.existing(h, listKey);
            if (s instanceof Item it) {
                int at = indexOf(list, it);
                if (at >= 0) {
                    list.remove(at);
                }
            } else if (s instanceof Switch w) {
                list.remove(w.flag());
            } else {
                removeFlag(list, ((Flag) s).flag());
            }
            if (list.isEmpty() && prune > 0 && h.get(listKey) == list) {
                h.remove(listKey);
                prune--;
            }
        }
        // walk up: a map or list left empty that enable created goes too
        for (int i = chain.size() - 1; i > 0 && prune > 0 && isEmpty(chain.get(i)); i--) {
            Object emptied = chain.get(i);
            Object parent = chain.get(i - 1);
            if (parent instanceof Map<?, ?> pm) {
                pm.values().removeIf(v -> v == emptied);
            } else if (parent instanceof List<?> pl) {
                pl.removeIf(v -> v == emptied);
            }
            prune--;
        }
    }

    private static void removeFlag(List<Object> words, String flag) {
        for (int i = 0; i < words.size(); i++) {
            String w = String.valueOf(words.get(i));
            if (w.equals(flag)) {
                words.remove(i);
                if (i < words.size()) {
                    words.remove(i);
                }
                return;
            }
            if (w.startsWith(flag + "=")) {
                words.remove(i);
                return;
            }
        }
    }

    private static boolean isEmpty(Object c) {
        return (c instanceof Map<?, ?> m && m.isEmpty()) || (c instanceof List<?> l && l.isEmpty());
    }

    private static int indexOf(List<Object> list, Item it) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) instanceof Map<?, ?> m && it.value().equals(String.valueOf(m.get(it.field())))) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public String toString() {
        StringBuilder b = new StringBuilder();
        for (Segment s : segments) {
            b.append('/');
            if (s instanceof Key k) {
                b.append(escape(k.name()));
            } else if (s instanceof Item i) {
                b.append(escape(i.list())).append('[').append(i.field()).append('=').append(escape(i.value())).append(']');
            } else if (s instanceof Switch w) {
                b.append(escape(w.list())).append("[switch=").append(escape(w.flag())).append(']');
            } else if (s instanceof ScriptFlag sf) {
                b.append("script[script=").append(escape(sf.flag())).append(']');
            } else {
                Flag f = (Flag) s;
                b.append(escape(f.list())).append("[flag=").append(escape(f.flag())).append(']');
            }
        }
        return b.toString();
    }

    private static String escape(String s) {
        return s.replace("~", "~0").replace("/", "~1");
    }

    private static String unescape(String s) {
        return s.replace("~1", "/").replace("~0", "~");
    }
}
