package io.kvevents.sdk;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Kubernetes manifests as plain maps (YAML or JSON in, YAML out), for offline plans ({@code --local -f}).
 * Plain maps keep every field of every object, known to this tool or not, and every scalar comes back as it
 * was written: only {@code null}, {@code true}/{@code false} and integers are read as such; dates, times
 * ({@code 10:30}), {@code yes}/{@code on}, hex and floats stay the text they were (SnakeYAML's YAML 1.1 would
 * have turned {@code 2024-01-01} into a timestamp and {@code 10:30} into 630). Documents a plan leaves alone
 * come back verbatim, comments included. Files are read as kubectl
 * reads {@code -f}: a file, every {@code .yaml}, {@code .yml} and {@code .json} file of a directory, or
 * {@code -} for standard input.
 */
public final class Manifests {
    /** Large enough for a {@code kubectl get -o yaml} dump of a big namespace (SnakeYAML stops at 3 MB). */
    private static final int MAX_CODE_POINTS = 512 * 1024 * 1024;
    /**
     * Decimal integers, and YAML 1.1 octal ones: SnakeYAML's emitter quotes a string like {@code 0755}, which
     * kubectl (YAML 1.1) reads as the number 493, so it is read as that number and written as 493: the same value
     * for kubectl, though not the same text.
     */
    private static final Pattern DECIMAL_INT = Pattern.compile("[-+]?(0|[1-9][0-9]*)|0[0-7]+");
    private static final Pattern TRUE_FALSE = Pattern.compile("true|True|TRUE|false|False|FALSE");
    private static final Pattern NULL_WORDS = Pattern.compile("~|null|Null|NULL|");

    private Manifests() {
    }

    /**
     * How the objects sat in their documents: a document is one object, or a {@code kind: List} around several.
     * {@link #write(List, Layout)} puts a result back into the same documents.
     */
    public record Layout(List<Document> documents, Set<Object> plain) {
        /**
         * One document: {@code list} is the List object around the objects (null for a plain object), {@code text}
         * the document as written (comments included) and {@code original} its objects as read.
         */
        public record Document(Map<String, Object> list, int objects, String text, List<Map<String, Object>> original) {
        }

        /** How many objects the documents hold. */
        public int objects() {
            return documents.stream().mapToInt(Document::objects).sum();
        }
    }

    /** What {@link #load} read: the objects in order, and their documents. */
    public record Loaded(List<Map<String, Object>> objects, Layout layout) {
    }

    /** Every object of the files, in order ({@code ---}-separated documents and {@code kind: List} items). */
    public static List<Map<String, Object>> read(List<Path> files) {
        return load(files).objects();
    }

    /** The objects of the files and the documents they came in. */
    @SuppressWarnings("unchecked")
    public static Loaded load(List<Path> files) {
        List<Map<String, Object>> out = new ArrayList<>();
        List<Layout.Document> docs = new ArrayList<>();
        Set<Object> plain = identitySet();
        for (Path file : expand(files)) {
            for (String text : documents(text(file))) {
                Object doc;
                Object again;
                try {
                    doc = reader(plain).load(text);
                    again = doc == null ? null : io.kvevents.internal.kube.JsonTree.copy(doc); // apart from what plans edit
                } catch (YAMLException e) {
                    throw new IllegalArgumentException(file + " is not valid YAML: "
                            + e.getMessage().lines().findFirst().orElse(""), e);
                }
                if (doc == null) {
                    continue;
                }
                if (!(doc instanceof Map<?, ?> map) || !map.containsKey("kind")) {
                    throw new IllegalArgumentException(file + " holds a document that is not a Kubernetes object");
                }
                if ("List".equals(map.get("kind")) && map.get("items") instanceof List<?> items) {
                    items.forEach(i -> out.add((Map<String, Object>) i));
                    Map<String, Object> header = new LinkedHashMap<>((Map<String, Object>) map);
                    docs.add(new Layout.Document(header, items.size(), text,
                            (List<Map<String, Object>>) ((Map<?, ?>) again).get("items")));
                } else {
                    out.add((Map<String, Object>) map);
                    docs.add(new Layout.Document(null, 1, text, List.of((Map<String, Object>) again)));
                }
            }
        }
        return new Loaded(out, new Layout(List.copyOf(docs), plain));
    }

    /** The documents of a YAML stream, as written: split at the {@code ---} lines that start each one. */
    static List<String> documents(String text) {
        List<String> out = new ArrayList<>();
        StringBuilder doc = new StringBuilder();
        for (String line : text.split("(?<=\n)")) {
            if (line.startsWith("---") && (line.length() == 3 || Character.isWhitespace(line.charAt(3)))) {
                out.add(doc.toString());
                doc.setLength(0);
                String rest = line.substring(3).strip();
                if (!rest.isEmpty()) {
                    doc.append(rest).append('\n'); // "--- {kind: …}": the document starts on the marker's line
                }
            } else {
                doc.append(line);
            }
        }
        out.add(doc.toString());
        return out;
    }

    /** kubectl's {@code -f}: {@code -} is standard input, a directory its manifest files in name order. */
    private static List<Path> expand(List<Path> files) {
        List<Path> out = new ArrayList<>();
        for (Path file : files) {
            if (Files.isDirectory(file)) {
                try (Stream<Path> in = Files.list(file)) {
                    in.filter(p -> p.getFileName().toString().matches(".*\\.(yaml|yml|json)") && Files.isRegularFile(p))
                            .sorted().forEach(out::add);
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot list " + file + ": " + e.getMessage(), e);
                }
            } else {
                out.add(file);
            }
        }
        return out;
    }

    private static String text(Path file) {
        try {
            if (file.toString().equals("-")) {
                InputStream in = System.in;
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IllegalArgumentException(file + " does not exist");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The objects as YAML documents separated by {@code ---}, every string quoted where YAML 1.1 (kubectl's) would
     * read it as something else. To write manifests back as they were read, plain scalars included, use
     * {@link #load} and {@link #write(List, Layout)}.
     */
    public static String write(List<Map<String, Object>> objects) {
        StringBuilder s = new StringBuilder();
        Yaml yaml = writer(identitySet());
        for (Map<String, Object> o : objects) {
            if (s.length() > 0) {
                s.append("---\n");
            }
            s.append(yaml.dump(o));
        }
        return s.toString();
    }

    /**
     * The objects in the documents they were read from: the items of a {@code kind: List} back in their List.
     * Objects beyond the layout (a plan that created some) follow as documents of their own.
     */
    public static String write(List<Map<String, Object>> objects, Layout layout) {
        StringBuilder s = new StringBuilder();
        Yaml yaml = writer(layout.plain());
        // each document takes its objects back by reference (kind, namespace, name), in order: a plan that adds an
        // object (a canary) appends it, one that removes an object drops it from its document (the document too, when
        // nothing is left in it)
        Map<ObjectRef, java.util.Deque<Map<String, Object>>> byRef = new LinkedHashMap<>();
        for (Map<String, Object> o : objects) {
            byRef.computeIfAbsent(ObjectRef.of(o), k -> new java.util.ArrayDeque<>()).add(o);
        }
        for (Layout.Document d : layout.documents()) {
            List<Map<String, Object>> mine = new ArrayList<>();
            for (Map<String, Object> original : d.original()) {
                java.util.Deque<Map<String, Object>> q = byRef.get(ObjectRef.of(original));
                if (q != null && !q.isEmpty()) {
                    mine.add(q.poll());
                }
            }
            if (mine.isEmpty() && !d.original().isEmpty()) {
                continue;
            }
            if (s.length() > 0) {
                s.append("---\n");
            }
            if (mine.equals(d.original())) {
                // untouched: the document as written, its comments and its layout included
                s.append(d.text().endsWith("\n") ? d.text() : d.text() + "\n");
            } else if (d.list() == null) {
                s.append(yaml.dump(mine.get(0)));
            } else {
                Map<String, Object> list = new LinkedHashMap<>(d.list());
                list.put("items", new ArrayList<>(mine));
                s.append(yaml.dump(list));
            }
        }
        for (java.util.Deque<Map<String, Object>> rest : byRef.values()) {
            for (Map<String, Object> o : rest) {
                if (s.length() > 0) {
                    s.append("---\n");
                }
                s.append(yaml.dump(o));
            }
        }
        return s.toString();
    }

    /**
     * A set of objects by identity: the plain scalars of one load that YAML 1.1 would read as something other than
     * text ({@code 2024-01-01}, {@code on}, {@code 0.5}) are written back plain, where a string that came in quoted
     * (an arg {@code "0.9"}) or that a plan wrote is quoted as YAML 1.1 needs it (kubectl reads YAML 1.1).
     */
    private static Set<Object> identitySet() {
        return java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
    }

    /** SafeConstructor, remembering in {@code plain} the plain scalars read as text that YAML 1.1 would not. */
    private static final class Remembering extends SafeConstructor {
        private static final Resolver YAML_1_1 = new Resolver();

        Remembering(LoaderOptions options, Set<Object> plain) {
            super(options);
            this.yamlConstructors.put(Tag.STR, new ConstructYamlStr() {
                @Override
                public Object construct(org.yaml.snakeyaml.nodes.Node node) {
                    Object value = super.construct(node);
                    if (node instanceof org.yaml.snakeyaml.nodes.ScalarNode scalar
                            && scalar.getScalarStyle() == DumperOptions.ScalarStyle.PLAIN
                            && !Tag.STR.equals(YAML_1_1.resolve(org.yaml.snakeyaml.nodes.NodeId.scalar, scalar.getValue(), true))) {
                        value = new String((String) value); // an instance of its own, to be told apart by identity
                        plain.add(value);
                    }
                    return value;
                }
            });
        }
    }

    /** Writes as YAML 1.1 resolves, except that the plain scalars read as text ({@code plain}) stay plain. */
    private static final class Writing extends Resolver {
        private final Set<Object> plain;

        Writing(Set<Object> plain) {
            this.plain = plain;
        }

        @Override
        public Tag resolve(org.yaml.snakeyaml.nodes.NodeId kind, String value, boolean implicit) {
            if (implicit && kind == org.yaml.snakeyaml.nodes.NodeId.scalar && value != null && plain.contains(value)) {
                return Tag.STR;
            }
            return super.resolve(kind, value, implicit);
        }
    }

    /** Only null, true/false and decimal integers are more than text (see the class comment). */
    private static final class AsWritten extends Resolver {
        @Override
        protected void addImplicitResolvers() {
            addImplicitResolver(Tag.NULL, NULL_WORDS, "~nN\0", 10);
            addImplicitResolver(Tag.BOOL, TRUE_FALSE, "tTfF", 10);
            addImplicitResolver(Tag.INT, DECIMAL_INT, "-+0123456789", 10);
        }
    }

    private static Yaml reader(Set<Object> plain) {
        return yaml(new AsWritten(), plain);
    }

    /** The YAML that writes: YAML 1.1's quoting, the plain scalars of {@code plain} left plain. */
    private static Yaml writer(Set<Object> plain) {
        return yaml(new Writing(plain), plain);
    }

    private static Yaml yaml(Resolver resolver, Set<Object> plain) {
        DumperOptions dump = new DumperOptions();
        dump.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        dump.setIndicatorIndent(2);
        dump.setIndentWithIndicator(true);
        dump.setWidth(Integer.MAX_VALUE); // a long value stays on its line, as written
        dump.setDereferenceAliases(true); // no &id001 anchors where two fields hold equal values
        LoaderOptions load = new LoaderOptions();
        load.setCodePointLimit(MAX_CODE_POINTS);
        load.setMaxAliasesForCollections(1_000);
        return new Yaml(new Remembering(load, plain), new Representer(dump), dump, load, resolver);
    }

    /**
     * The names of the vLLM and SGLang Deployments among {@code manifests} whose labels match a kubectl label selector
     * ({@code k=v}, {@code k!=v}, {@code k}, {@code !k}, {@code k in (a,b)}, {@code k notin (a)}); others (the gateway)
     * are no models.
     */
    public static List<String> deploymentsMatching(List<Map<String, Object>> manifests, String selector) {
        io.kvevents.internal.kube.LabelSelector s = io.kvevents.internal.kube.LabelSelector.parse(selector);
        List<String> names = new java.util.ArrayList<>();
        for (Map<String, Object> o : manifests) {
            if ("Deployment".equals(o.get("kind")) && io.kvevents.internal.kube.Workloads.runsEngine(o)
                    && s.matches((Map<?, ?>) io.kvevents.internal.kube.JsonTree.at(o, "metadata", "labels"))) {
                names.add(String.valueOf(io.kvevents.internal.kube.JsonTree.at(o, "metadata", "name")));
            }
        }
        return names;
    }
}
