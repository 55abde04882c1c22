package io.kvevents.internal.kube;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;
import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.PlanStep;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The changes of SPEC §7 on manifests held as plain maps: vLLM args, container ports and labels of the
 * model Deployment (and its pod template), the Service ports, the gateway env. Every touched object
 * records the original value of each field it changes in an annotation, so that disable puts back
 * exactly what was there.
 */
public final class OfflinePlanner {
    public static final String UNDO = "kvevents.io/undo";
    public static final String ENABLED = "model.aibrix.ai/kv-events-enabled";
    public static final String MODEL = "model.aibrix.ai/name";
    private static final Set<String> SEED_FLAGS = Set.of("--enable-kv-cache-events", "--kv-events-publisher",
            "--kv-events-endpoint", "--kv-events-replay-endpoint");
    private static final Set<String> SEED_FLAGS_WITH_VALUE = Set.of("--kv-events-publisher", "--kv-events-endpoint",
            "--kv-events-replay-endpoint");
    private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)(?:\\.(\\d+))?.*");
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    /** A plan's outcome: the objects after it, one step per object it touches, and warnings. */
    public record Outcome(List<Map<String, Object>> objects, List<PlanStep> steps, List<String> warnings) {
    }

    private OfflinePlanner() {
    }

    // ---- enable ----

    public static Outcome enable(List<Map<String, Object>> input, String model, EnableOptions o) {
        List<Map<String, Object>> before = input.stream().map(OfflinePlanner::copy).toList();
        List<Map<String, Object>> after = input.stream().map(OfflinePlanner::copy).toList();
        List<String> warnings = new ArrayList<>();
        Map<String, Object> deployment = modelDeployment(after, model);
        Map<String, Object> container = vllmContainer(deployment, o.container());
        preflight(deployment, container, o, warnings);

        String argsField = argsField(container);
        Undo undo = Undo.of(deployment);
        int ci = containers(deployment).indexOf(container);
        String cpath = "/spec/template/spec/containers/" + ci;
        undo.remember(cpath + "/" + argsField, container.get(argsField));
        undo.remember(cpath + "/ports", container.get("ports"));
        undo.remember(cpath + "/env", container.get("env"));
        undo.remember("/metadata/labels", map(deployment, "metadata").get("labels"));
        undo.remember("/spec/template/metadata/labels", map(map(map(deployment, "spec"), "template"), "metadata").get("labels"));

        List<Object> args = withoutKvEventFlags(existing(container, argsField));
        if (o.vllmArgs() == EnableOptions.VllmArgs.SEED) {
            args.add("--enable-kv-cache-events");
            args.add("--kv-events-publisher=zmq");
            args.add("--kv-events-endpoint=tcp://*:" + o.pubPort());
            args.add("--kv-events-replay-endpoint=tcp://*:" + o.replayPort());
        } else {
            args.add("--kv-events-config");
            args.add(kvEventsConfig(model, o));
            ensurePodIpEnv(container);
        }
        container.put(argsField, args);
        ensurePort(container, "kv-events", o.pubPort());
        ensurePort(container, "kv-replay", o.replayPort());
        Map<String, Object> labels = labels(deployment, "metadata");
        Map<String, Object> podLabels = labels(map(map(deployment, "spec"), "template"), "metadata");
        for (Map<String, Object> l : List.of(labels, podLabels)) {
            l.put(ENABLED, "true");
            l.put(MODEL, model);
        }
        undo.store();

        for (Map<String, Object> service : selectingServices(after, deployment)) {
            Undo su = Undo.of(service);
            su.remember("/spec/ports", map(service, "spec").get("ports"));
            List<Object> ports = list(map(service, "spec"), "ports");
            ensureServicePort(ports, "kv-events", o.pubPort());
            ensureServicePort(ports, "kv-replay", o.replayPort());
            su.store();
        }

        Map<String, Object> gateway = find(after, "Deployment", o.gatewayNamespace(), o.gatewayDeployment());
        if (gateway == null) {
            warnings.add("the gateway deployment.apps/" + o.gatewayDeployment() + " (namespace " + o.gatewayNamespace()
                    + ") is not in the manifests: its settings are left as they are");
        } else {
            Map<String, Object> gc = containers(gateway).get(0);
            Undo gu = Undo.of(gateway);
            gu.remember("/spec/template/spec/containers/0/env", gc.get("env"));
            Map<String, String> env = new LinkedHashMap<>();
            env.put("AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED", "true");
            env.put("AIBRIX_KV_EVENT_SYNC_ENABLED", "true");
            env.put("AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER", "true");
            env.put("AIBRIX_USE_REMOTE_TOKENIZER", "true");
            env.put("AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE", "remote");
            env.put("AIBRIX_REMOTE_TOKENIZER_ENGINE", "vllm");
            if (o.tokenizer() != null) {
                env.put("AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT", o.tokenizer());
                env.put("AIBRIX_REMOTE_TOKENIZER_ENDPOINT", o.tokenizer());
            } else if (!hasEnv(gc, "AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT")
                    && !hasEnv(gc, "AIBRIX_REMOTE_TOKENIZER_ENDPOINT")) {
                warnings.add("no --tokenizer given and the gateway has no remote tokenizer endpoint: set one");
            }
            env.forEach((k, v) -> setEnv(gc, k, v));
            gu.store();
        }
        return new Outcome(after, steps(before, after, "KV event sync enabled"), warnings);
    }

    private static void preflight(Map<String, Object> deployment, Map<String, Object> container, EnableOptions o,
            List<String> warnings) {
        String image = String.valueOf(container.get("image"));
        int[] v = version(image);
        if (v == null) {
            warnings.add("cannot tell the vLLM version from image " + image + "; KV events need vLLM 0.9.0 or newer");
        } else if ((v[0] == 0 && v[1] < 9) && !o.force()) {
            throw new IllegalArgumentException("image " + image + " is vLLM " + v[0] + "." + v[1] + "." + v[2]
                    + ": KV events appeared in vLLM 0.9.0; upgrade the image, or pass --force");
        }
        List<Object> args = new ArrayList<>(existing(container, "command"));
        args.addAll(existing(container, "args"));
        if (args.contains("--no-enable-prefix-caching") || args.contains("--enable-prefix-caching=false")) {
            throw new IllegalArgumentException("prefix caching is disabled (--no-enable-prefix-caching): the engine would"
                    + " publish no blocks; remove the flag first");
        }
        for (Map<String, Object> c : containers(deployment)) {
            for (Object p : existing(c, "ports")) {
                Map<?, ?> port = (Map<?, ?>) p;
                Object number = port.get("containerPort");
                Object name = port.get("name");
                boolean ours = (Objects.equals(name, "kv-events") && number instanceof Number n && n.intValue() == o.pubPort())
                        || (Objects.equals(name, "kv-replay") && number instanceof Number r && r.intValue() == o.replayPort());
                if (!ours && number instanceof Number n && (n.intValue() == o.pubPort() || n.intValue() == o.replayPort())) {
                    throw new IllegalArgumentException("port " + n + " is already used by container " + c.get("name")
                            + (name == null ? "" : " (port " + name + ")") + "; choose others with --pub-port/--replay-port");
                }
            }
        }
    }

    /** {@code --kv-events-config} JSON: the only real flag (vLLM ≥ 0.9.0), publisher explicit for < 0.11.1. */
    static String kvEventsConfig(String model, EnableOptions o) {
        JsonObject c = new JsonObject();
        c.addProperty("enable_kv_cache_events", true);
        c.addProperty("publisher", "zmq");
        c.addProperty("endpoint", "tcp://*:" + o.pubPort());
        c.addProperty("replay_endpoint", "tcp://*:" + o.replayPort());
        c.addProperty("topic", "kv@$(POD_IP)@" + model);
        return GSON.toJson(c);
    }

    // ---- disable ----

    public static Outcome disable(List<Map<String, Object>> input, String model, String gatewayNamespace,
            String gatewayDeployment, boolean gatewayOnly) {
        List<Map<String, Object>> before = input.stream().map(OfflinePlanner::copy).toList();
        List<Map<String, Object>> after = input.stream().map(OfflinePlanner::copy).toList();
        List<String> warnings = new ArrayList<>();
        Map<String, Object> deployment = modelDeployment(after, model);
        if (!gatewayOnly) {
            if (!Undo.of(deployment).restore()) {
                // enabled by hand (the seed's steps): remove what they add
                for (Map<String, Object> c : containers(deployment)) {
                    for (String field : List.of("args", "command")) {
                        if (c.get(field) instanceof List<?>) {
                            c.put(field, withoutKvEventFlags(list(c, field)));
                        }
                    }
                    if (c.get("ports") instanceof List<?>) {
                        list(c, "ports").removeIf(p -> Set.of("kv-events", "kv-replay").contains(((Map<?, ?>) p).get("name")));
                    }
                }
                labels(deployment, "metadata").remove(ENABLED);
                labels(map(map(deployment, "spec"), "template"), "metadata").remove(ENABLED);
                warnings.add("deployment.apps/" + model + " has no " + UNDO + " annotation (not enabled by this tool):"
                        + " removed the KV event flags, ports and label instead of restoring saved values");
            }
            for (Map<String, Object> service : selectingServices(after, deployment)) {
                if (!Undo.of(service).restore() && map(service, "spec").get("ports") instanceof List<?>) {
                    list(map(service, "spec"), "ports").removeIf(
                            p -> Set.of("kv-events", "kv-replay").contains(((Map<?, ?>) p).get("name")));
                }
            }
        }
        Map<String, Object> gateway = find(after, "Deployment", gatewayNamespace, gatewayDeployment);
        boolean othersUseSync = after.stream().anyMatch(d -> d != deployment && "Deployment".equals(d.get("kind"))
                && "true".equals(at(d, "metadata", "labels", ENABLED)));
        if (gateway != null && gatewayOnly) {
            Map<String, Object> gc = containers(gateway).get(0);
            setEnv(gc, "AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED", "false");
            setEnv(gc, "AIBRIX_KV_EVENT_SYNC_ENABLED", "false");
        } else if (gateway != null && !othersUseSync) {
            Undo.of(gateway).restore();
        } else if (gateway != null) {
            warnings.add("other models still use KV event sync: the gateway keeps its settings");
        }
        return new Outcome(after, steps(before, after, gatewayOnly ? "KV event sync off" : "restored"), warnings);
    }

    /** Copies of the objects with their undo annotations applied (objects without one unchanged). */
    public static List<Map<String, Object>> restore(List<Map<String, Object>> objects) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> o : objects) {
            Map<String, Object> c = copy(o);
            Undo.of(c).restore();
            out.add(c);
        }
        return out;
    }

    // ---- finding things ----

    private static Map<String, Object> modelDeployment(List<Map<String, Object>> objects, String model) {
        List<Map<String, Object>> matches = objects.stream().filter(o -> "Deployment".equals(o.get("kind"))
                && (model.equals(at(o, "metadata", "name")) || model.equals(at(o, "metadata", "labels", MODEL)))).toList();
        if (matches.isEmpty()) {
            List<Object> names = objects.stream().filter(o -> "Deployment".equals(o.get("kind")))
                    .map(o -> at(o, "metadata", "name")).toList();
            throw new IllegalArgumentException("no Deployment named " + model + " in the manifests (Deployments: " + names + ")");
        }
        return matches.get(0);
    }

    private static Map<String, Object> vllmContainer(Map<String, Object> deployment, String name) {
        List<Map<String, Object>> containers = containers(deployment);
        for (Map<String, Object> c : containers) {
            if (name != null ? name.equals(c.get("name")) : isVllm(c)) {
                return c;
            }
        }
        List<Object> names = containers.stream().map(c -> c.get("name")).toList();
        throw new IllegalArgumentException(name != null ? "no container " + name + " in the Deployment (containers: " + names + ")"
                : "no vLLM container in the Deployment (containers: " + names + "): name it with --container");
    }

    private static boolean isVllm(Map<String, Object> c) {
        if (String.valueOf(c.get("image")).toLowerCase(Locale.ROOT).contains("vllm")) {
            return true;
        }
        List<Object> words = new ArrayList<>(existing(c, "command"));
        words.addAll(existing(c, "args"));
        return words.stream().anyMatch(w -> String.valueOf(w).contains("vllm"));
    }

    /** The list vLLM's flags live in: args, or the command when it carries the whole invocation. */
    private static String argsField(Map<String, Object> container) {
        List<Object> command = existing(container, "command");
        if (!command.isEmpty() && String.valueOf(command.get(0)).matches("(.*/)?(sh|bash)") && command.contains("-c")) {
            throw new IllegalArgumentException("the vLLM command line is a shell string (" + command.get(0)
                    + " -c …): move its flags to args so that they can be edited");
        }
        return container.get("args") == null && command.size() > 2 ? "command" : "args";
    }

    public static int[] version(String image) {
        int at = image.indexOf('@');
        String ref = at < 0 ? image : image.substring(0, at);
        int colon = ref.lastIndexOf(':');
        if (colon < 0 || ref.indexOf('/', colon) >= 0) {
            return null;
        }
        Matcher m = VERSION.matcher(ref.substring(colon + 1));
        if (!m.matches()) {
            return null;
        }
        return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)),
            m.group(3) == null ? 0 : Integer.parseInt(m.group(3))};
    }

    private static List<Map<String, Object>> selectingServices(List<Map<String, Object>> objects,
            Map<String, Object> deployment) {
        Object podLabels = at(deployment, "spec", "template", "metadata", "labels");
        Object ns = at(deployment, "metadata", "namespace");
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> o : objects) {
            if ("Service".equals(o.get("kind")) && Objects.equals(ns, at(o, "metadata", "namespace"))
                    && at(o, "spec", "selector") instanceof Map<?, ?> selector && !selector.isEmpty()
                    && podLabels instanceof Map<?, ?> pl
                    && selector.entrySet().stream().allMatch(e -> Objects.equals(pl.get(e.getKey()), e.getValue()))) {
                out.add(o);
            }
        }
        return out;
    }

    private static Map<String, Object> find(List<Map<String, Object>> objects, String kind, String namespace, String name) {
        for (Map<String, Object> o : objects) {
            Object ns = at(o, "metadata", "namespace");
            if (kind.equals(o.get("kind")) && name.equals(at(o, "metadata", "name")) && (ns == null || namespace.equals(ns))) {
                return o;
            }
        }
        return null;
    }

    // ---- edits ----

    static List<Object> withoutKvEventFlags(List<Object> args) {
        List<Object> out = new ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = String.valueOf(args.get(i));
            String flag = a.contains("=") ? a.substring(0, a.indexOf('=')) : a;
            if (flag.equals("--kv-events-config") || SEED_FLAGS.contains(flag)) {
                boolean separateValue = !a.contains("=") && (flag.equals("--kv-events-config") || SEED_FLAGS_WITH_VALUE.contains(flag));
                if (separateValue) {
                    i++;
                }
                continue;
            }
            out.add(args.get(i));
        }
        return out;
    }

    private static void ensurePodIpEnv(Map<String, Object> container) {
        if (!hasEnv(container, "POD_IP")) {
            Map<String, Object> fieldRef = new LinkedHashMap<>();
            fieldRef.put("fieldPath", "status.podIP");
            Map<String, Object> valueFrom = new LinkedHashMap<>();
            valueFrom.put("fieldRef", fieldRef);
            Map<String, Object> env = new LinkedHashMap<>();
            env.put("name", "POD_IP");
            env.put("valueFrom", valueFrom);
            list(container, "env").add(env);
        }
    }

    private static boolean hasEnv(Map<String, Object> container, String name) {
        return existing(container, "env").stream().anyMatch(e -> name.equals(((Map<?, ?>) e).get("name")));
    }

    @SuppressWarnings("unchecked")
    private static void setEnv(Map<String, Object> container, String name, String value) {
        for (Object e : existing(container, "env")) {
            Map<String, Object> env = (Map<String, Object>) e;
            if (name.equals(env.get("name"))) {
                env.remove("valueFrom");
                env.put("value", value);
                return;
            }
        }
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("name", name);
        env.put("value", value);
        list(container, "env").add(env);
    }

    private static void ensurePort(Map<String, Object> container, String name, int port) {
        List<Object> ports = list(container, "ports");
        if (ports.stream().noneMatch(p -> name.equals(((Map<?, ?>) p).get("name")))) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("name", name);
            p.put("containerPort", port);
            p.put("protocol", "TCP");
            ports.add(p);
        }
    }

    private static void ensureServicePort(List<Object> ports, String name, int port) {
        if (ports.stream().noneMatch(p -> name.equals(((Map<?, ?>) p).get("name")))) {
            Map<String, Object> p = new LinkedHashMap<>();
            p.put("name", name);
            p.put("port", port);
            p.put("targetPort", port);
            p.put("protocol", "TCP");
            ports.add(p);
        }
    }

    // ---- the undo annotation ----

    /** The original values of the fields a plan changes, kept on the object itself. */
    private static final class Undo {
        private final Map<String, Object> object;
        private final Map<String, Object> saved;
        private final boolean existed;

        private Undo(Map<String, Object> object, Map<String, Object> saved, boolean existed) {
            this.object = object;
            this.saved = saved;
            this.existed = existed;
        }

        static Undo of(Map<String, Object> object) {
            Object text = annotations(object, false).get(UNDO);
            if (text == null) {
                return new Undo(object, new LinkedHashMap<>(), false);
            }
            Map<String, Object> saved = GSON.fromJson(text.toString(), new TypeToken<LinkedHashMap<String, Object>>() { }.getType());
            return new Undo(object, saved, true);
        }

        /** Keeps a field's original value, unless an earlier enable already did (enable twice keeps the first). */
        void remember(String path, Object original) {
            if (!existed && !saved.containsKey(path)) {
                saved.put(path, original == null ? null : copyValue(original));
            }
        }

        void store() {
            if (!existed) {
                saved.put("/metadata/annotations", annotations(object, false).isEmpty() ? null : "kept");
                annotations(object, true).put(UNDO, GSON.toJson(saved));
            }
        }

        /** Puts every saved field back and removes the annotation; false when there was none. */
        boolean restore() {
            if (!existed) {
                return false;
            }
            for (Map.Entry<String, Object> e : saved.entrySet()) {
                if (!e.getKey().equals("/metadata/annotations")) {
                    set(object, e.getKey(), normalize(e.getValue()));
                }
            }
            Map<String, Object> annotations = annotations(object, false);
            annotations.remove(UNDO);
            if (saved.get("/metadata/annotations") == null && annotations.isEmpty()) {
                map(object, "metadata").remove("annotations");
            }
            return true;
        }
    }

    /** Gson reads every JSON number as a double; Kubernetes ports and counts are integers. */
    @SuppressWarnings("unchecked")
    private static Object normalize(Object v) {
        if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) {
            return d.longValue() <= Integer.MAX_VALUE && d.longValue() >= Integer.MIN_VALUE ? (Object) (int) d.doubleValue()
                    : (Object) d.longValue();
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

    // ---- plain-map helpers ----

    private static List<PlanStep> steps(List<Map<String, Object>> before, List<Map<String, Object>> after, String what) {
        List<PlanStep> steps = new ArrayList<>();
        for (int i = 0; i < before.size(); i++) {
            var patch = JsonPatchDiff.diff(before.get(i), after.get(i));
            Map<String, Object> o = after.get(i);
            if (!patch.isEmpty() || Undo.of(o).existed || !before.get(i).equals(after.get(i))) {
                steps.add(new PlanStep(target(o), (String) at(o, "metadata", "namespace"),
                        patch.isEmpty() ? "unchanged" : what, patch));
            }
        }
        return steps;
    }

    /** {@code deployment.apps/name}, as kubectl names objects. */
    public static String target(Map<String, Object> o) {
        String kind = String.valueOf(o.get("kind")).toLowerCase(Locale.ROOT);
        String api = String.valueOf(o.get("apiVersion"));
        String group = api.contains("/") ? "." + api.substring(0, api.indexOf('/')) : "";
        return kind + group + "/" + at(o, "metadata", "name");
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> containers(Map<String, Object> deployment) {
        List<Object> list = list(map(map(map(deployment, "spec"), "template"), "spec"), "containers");
        if (list.isEmpty()) {
            throw new IllegalArgumentException(target(deployment) + " has no containers");
        }
        return (List<Map<String, Object>>) (List<?>) list;
    }

    private static Map<String, Object> labels(Map<String, Object> holder, String metadataKey) {
        return child(map(holder, metadataKey), "labels");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> annotations(Map<String, Object> o, boolean create) {
        if (!create) {
            return at(o, "metadata", "annotations") instanceof Map<?, ?> a ? (Map<String, Object>) a : new LinkedHashMap<>();
        }
        return child(map(o, "metadata"), "annotations");
    }

    /** The map under a key, created when absent. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> m, String key) {
        return child(m, key);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> child(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v instanceof Map<?, ?>) {
            return (Map<String, Object>) v;
        }
        Map<String, Object> created = new LinkedHashMap<>();
        m.put(key, created);
        return created;
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

    /** The list under a key, or an empty one; reading never adds the key. */
    @SuppressWarnings("unchecked")
    private static List<Object> existing(Map<String, Object> m, String key) {
        return m.get(key) instanceof List<?> l ? (List<Object>) l : List.of();
    }

    /** The list under a key; created (and stored) when absent. */
    @SuppressWarnings("unchecked")
    private static List<Object> list(Map<String, Object> m, String key) {
        Object v = m.get(key);
        if (v instanceof List<?>) {
            return (List<Object>) v;
        }
        List<Object> created = new ArrayList<>();
        m.put(key, created);
        return created;
    }

    /** Sets (or, for null, removes) the value at a JSON pointer of maps and list indexes. */
    @SuppressWarnings("unchecked")
    private static void set(Map<String, Object> root, String pointer, Object value) {
        String[] parts = pointer.substring(1).split("/");
        Object node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            String p = parts[i].replace("~1", "/").replace("~0", "~");
            if (node instanceof List<?> l) {
                node = l.get(Integer.parseInt(p));
            } else {
                Map<String, Object> m = (Map<String, Object>) node;
                node = m.get(p) == null ? child(m, p) : m.get(p);
            }
        }
        String last = parts[parts.length - 1].replace("~1", "/").replace("~0", "~");
        Map<String, Object> parent = (Map<String, Object>) node;
        if (value == null) {
            parent.remove(last);
        } else {
            parent.put(last, value);
        }
    }

    static Map<String, Object> copy(Map<String, Object> m) {
        return (Map<String, Object>) copyValue(m);
    }

    @SuppressWarnings("unchecked")
    private static Object copyValue(Object v) {
        if (v instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            ((Map<String, Object>) m).forEach((k, x) -> out.put(k, copyValue(x)));
            return out;
        }
        if (v instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(x -> out.add(copyValue(x)));
            return out;
        }
        return v;
    }
}
