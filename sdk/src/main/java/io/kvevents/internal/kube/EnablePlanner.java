package io.kvevents.internal.kube;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.ObjectRef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plans enable (SPEC §7) on object trees: the vLLM flag, ports, labels, Service ports and gateway env,
 * each write recorded in the object's {@link Ownership} so that disable can undo exactly that.
 */
public final class EnablePlanner {
    /** The migration guide's flags: vLLM has none of them and exits on them. */
    static final List<String> GUIDE_FLAGS = List.of("--enable-kv-cache-events", "--kv-events-publisher",
            "--kv-events-endpoint", "--kv-events-replay-endpoint");
    static final String CONFIG_FLAG = "--kv-events-config";
    private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)(?:\\.(\\d+))?.*");
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private EnablePlanner() {
    }

    /**
     * @throws IllegalArgumentException when a pre-flight check fails (the message says which and what to do)
     */
    public static Plan plan(List<Map<String, Object>> input, String model, EnableOptions o, boolean gatewayRequired) {
        List<Map<String, Object>> before = input.stream().map(JsonTree::copy).toList();
        List<Map<String, Object>> after = input.stream().map(JsonTree::copy).toList();
        List<String> warnings = new ArrayList<>();
        List<Plan.Change> changes = new ArrayList<>();
        List<ObjectRef> touched = new ArrayList<>();

        Map<String, Object> deployment = Workloads.modelDeployment(after, model);
        String self = Workloads.qualified(deployment);
        Map<String, Object> container = Workloads.vllmContainer(deployment, o.container());
        preflight(deployment, container, o, warnings);
        Edits d = Edits.of(deployment);
        FieldPath c = FieldPath.keys("spec", "template", "spec").item("containers", "name", String.valueOf(container.get("name")));
        String argsField = argsField(container);
        List<String> guide = removeGuideFlags(JsonTree.list(container, argsField));
        if (!guide.isEmpty()) {
            warnings.add(JsonTree.target(deployment) + ": removed the migration guide's flags " + guide + " (vLLM exits on"
                    + " them); disable does not put them back");
        }
        String served = servedModel(deployment, container, model);
        if (o.vllmArgs() == EnableOptions.VllmArgs.SEED) {
            d.set(c.then(new FieldPath.Switch(argsField, "--enable-kv-cache-events")), Boolean.TRUE);
            d.set(c.then(new FieldPath.Flag(argsField, "--kv-events-publisher")), "zmq");
            d.set(c.then(new FieldPath.Flag(argsField, "--kv-events-endpoint")), "tcp://*:" + o.pubPort());
            d.set(c.then(new FieldPath.Flag(argsField, "--kv-events-replay-endpoint")), "tcp://*:" + o.replayPort());
        } else {
            d.set(c.then(new FieldPath.Flag(argsField, CONFIG_FLAG)), kvEventsConfig(served, o));
            FieldPath podIp = c.item("env", "name", "POD_IP");
            if (podIp.get(deployment).isEmpty()) {
                d.set(podIp, map("name", "POD_IP", "valueFrom", map("fieldRef", map("fieldPath", "status.podIP"))));
            }
        }
        d.set(c.item("ports", "name", "kv-events"), map("name", "kv-events", "containerPort", o.pubPort(), "protocol", "TCP"),
                (now, want) -> same(now, want, "containerPort"));
        d.set(c.item("ports", "name", "kv-replay"), map("name", "kv-replay", "containerPort", o.replayPort(), "protocol", "TCP"),
                (now, want) -> same(now, want, "containerPort"));
        for (FieldPath labels : List.of(FieldPath.keys("metadata", "labels"), FieldPath.keys("spec", "template", "metadata", "labels"))) {
            d.set(labels.key(Workloads.ENABLED), "true");
            // AIBrix maps pods to models by this label: an existing one is never changed
            if (labels.key(Workloads.MODEL).get(deployment).isEmpty()) {
                d.set(labels.key(Workloads.MODEL), served);
            }
        }
        changes.add(d.finish(false, null));
        touched.add(ObjectRef.of(deployment));

        for (Map<String, Object> service : Workloads.selectingServices(after, deployment)) {
            Edits s = Edits.of(service);
            s.set(FieldPath.keys("spec").item("ports", "name", "kv-events"),
                    map("name", "kv-events", "port", o.pubPort(), "targetPort", o.pubPort(), "protocol", "TCP"),
                    (now, want) -> same(now, want, "port"));
            s.set(FieldPath.keys("spec").item("ports", "name", "kv-replay"),
                    map("name", "kv-replay", "port", o.replayPort(), "targetPort", o.replayPort(), "protocol", "TCP"),
                    (now, want) -> same(now, want, "port"));
            changes.add(s.finish(false, null));
            touched.add(ObjectRef.of(service));
        }

        Map<String, Object> gateway = o.skipGateway() ? null
                : Workloads.find(after, "Deployment", o.gatewayNamespace(), o.gatewayDeployment());
        if (o.skipGateway()) {
            warnings.add("the gateway's settings were left as they are (--skip-gateway): it syncs KV events only once they are on");
        } else if (gateway == null && gatewayRequired) {
            throw new IllegalArgumentException("the gateway deployment.apps/" + o.gatewayDeployment() + " is not in namespace "
                    + o.gatewayNamespace() + ": nothing was changed; name it with --gateway-namespace and --gateway-deployment,"
                    + " or give --skip-gateway to enable the model alone");
        } else if (gateway == null) {
            warnings.add("the gateway deployment.apps/" + o.gatewayDeployment() + " (namespace " + o.gatewayNamespace()
                    + ") is not in the manifests: its settings are left as they are");
        } else {
            changes.add(gateway(gateway, after, self, o, warnings));
            touched.add(ObjectRef.of(gateway));
        }
        List<Plan.Change> written = changes.stream().filter(ch -> !ch.run().isEmpty() || ch.gateway()).toList();
        return new Plan(self, after, gatewaySteps(Plan.steps(before, after, touched, "KV event sync enabled"), o), warnings, written);
    }

    /** The gateway's step last: a concurrent disable must see the model's label before it sees the gateway change. */
    static List<io.kvevents.sdk.PlanStep> gatewaySteps(List<io.kvevents.sdk.PlanStep> steps, EnableOptions o) {
        List<io.kvevents.sdk.PlanStep> out = new ArrayList<>(steps);
        out.sort(Comparator.comparing(s -> isGateway(s.object(), o)));
        return out;
    }

    static boolean isGateway(ObjectRef ref, EnableOptions o) {
        return ref.kind().equals("Deployment") && ref.name().equals(o.gatewayDeployment())
                && (ref.namespace() == null || ref.namespace().equals(o.gatewayNamespace()));
    }

    private static Plan.Change gateway(Map<String, Object> gateway, List<Map<String, Object>> objects, String self,
            EnableOptions o, List<String> warnings) {
        Map<String, Object> container = Workloads.gatewayContainer(gateway);
        Map<String, ContainerEnv.Setting> env = ContainerEnv.of(container, o.gatewayNamespace(), objects);
        Map<String, String> want = new LinkedHashMap<>();
        want.put("AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED", "true");
        want.put("AIBRIX_KV_EVENT_SYNC_ENABLED", "true");
        want.put("AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER", "true");
        want.put("AIBRIX_USE_REMOTE_TOKENIZER", "true");
        want.put("AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE", "remote");
        want.put("AIBRIX_REMOTE_TOKENIZER_ENGINE", "vllm");
        if (o.tokenizer() != null) {
            want.put("AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT", o.tokenizer());
            want.put("AIBRIX_REMOTE_TOKENIZER_ENDPOINT", o.tokenizer());
        } else if (!env.containsKey("AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT") && !env.containsKey("AIBRIX_REMOTE_TOKENIZER_ENDPOINT")) {
            warnings.add("no --tokenizer given and the gateway has no remote tokenizer endpoint: set one");
        }
        Edits g = Edits.of(gateway);
        FieldPath c = FieldPath.keys("spec", "template", "spec").item("containers", "name", String.valueOf(container.get("name")));
        want.forEach((name, value) -> {
            ContainerEnv.Setting now = env.get(name);
            if (now != null && now.source() != ContainerEnv.Source.VALUE) {
                if (now.value() == null) {
                    warnings.add("the gateway's " + name + " comes from " + now.from() + ", which cannot be read here: left as it"
                            + " is (it must be " + value + ")");
                    return;
                }
                if (now.value().equals(value)) {
                    return; // held elsewhere with the right value: never duplicated
                }
                warnings.add("the gateway's " + name + " is " + now.value() + " in " + now.from() + ": an env entry set to "
                        + value + " now takes its place");
            }
            g.set(c.item("env", "name", name), map("name", name, "value", value));
        });
        return g.finish(true, self);
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
        List<Object> args = new ArrayList<>(JsonTree.existing(container, "command"));
        args.addAll(JsonTree.existing(container, "args"));
        if (args.contains("--no-enable-prefix-caching") || args.contains("--enable-prefix-caching=false")) {
            throw new IllegalArgumentException("prefix caching is disabled (--no-enable-prefix-caching): the engine would"
                    + " publish no blocks; remove the flag first");
        }
        for (Map<String, Object> c : JsonTree.containers(deployment)) {
            for (Map<String, Object> port : JsonTree.maps(c.get("ports"))) {
                Object number = port.get("containerPort");
                Object name = port.get("name");
                boolean ours = c == container && ("kv-events".equals(name) || "kv-replay".equals(name));
                if (!ours && number instanceof Number n && (n.intValue() == o.pubPort() || n.intValue() == o.replayPort())) {
                    throw new IllegalArgumentException("port " + n + " is already used by container " + c.get("name")
                            + (name == null ? "" : " (port " + name + ")") + "; choose others with --pub-port/--replay-port");
                }
            }
        }
    }

    /** The model the engine serves: the AIBrix model label, else the Deployment's name. */
    private static String servedModel(Map<String, Object> deployment, Map<String, Object> container, String model) {
        Object label = JsonTree.at(deployment, "spec", "template", "metadata", "labels", Workloads.MODEL);
        if (label == null) {
            label = JsonTree.at(deployment, "metadata", "labels", Workloads.MODEL);
        }
        return label != null ? String.valueOf(label) : JsonTree.name(deployment);
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

    /** Removes the guide's flags (and their values) from a list of words; returns the ones removed. */
    static List<String> removeGuideFlags(List<Object> words) {
        List<String> removed = new ArrayList<>();
        for (int i = 0; i < words.size(); ) {
            String w = String.valueOf(words.get(i));
            String flag = w.contains("=") ? w.substring(0, w.indexOf('=')) : w;
            if (GUIDE_FLAGS.contains(flag)) {
                removed.add(flag);
                words.remove(i);
                boolean separateValue = !w.contains("=") && !flag.equals("--enable-kv-cache-events");
                if (separateValue && i < words.size()) {
                    words.remove(i);
                }
            } else {
                i++;
            }
        }
        return removed;
    }

    /** The list vLLM's flags live in: args, or the command when it carries the whole invocation. */
    static String argsField(Map<String, Object> container) {
        List<Object> command = JsonTree.existing(container, "command");
        if (!command.isEmpty() && String.valueOf(command.get(0)).matches("(.*/)?(sh|bash)") && command.contains("-c")) {
            throw new IllegalArgumentException("the vLLM command line is a shell string (" + command.get(0)
                    + " -c …): move its flags to args so that they can be edited");
        }
        return container.get("args") == null && command.size() > 2 ? "command" : "args";
    }

    /** The version an image tag names ({@code vllm/vllm-openai:v0.11.0} → 0, 11, 0), or null. */
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

    private static boolean same(Object now, Object want, String numberKey) {
        return now instanceof Map<?, ?> n && want instanceof Map<?, ?> w && JsonTree.same(n.get(numberKey), w.get(numberKey));
    }

    /** An ordered map from key, value pairs. */
    static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(String.valueOf(kv[i]), kv[i + 1]);
        }
        return m;
    }

    /** The writes to one object, each recorded with what the field held before. */
    static final class Edits {
        private final Map<String, Object> object;
        private final Optional<Ownership> recordBefore;
        private final List<Ownership.Owned> run = new ArrayList<>();
        private final boolean annotationsExisted;

        private Edits(Map<String, Object> object) {
            this.object = object;
            if (Ownership.legacy(object).isPresent()) {
                throw new IllegalArgumentException(JsonTree.target(object) + " was enabled by an earlier kvevents release:"
                        + " run disable first (it restores the fields from that release's record), then enable");
            }
            this.recordBefore = Ownership.read(object);
            this.annotationsExisted = JsonTree.at(object, "metadata", "annotations") instanceof Map<?, ?> a && !a.isEmpty();
        }

        static Edits of(Map<String, Object> object) {
            return new Edits(object);
        }

        /** Sets a field unless it already holds {@code value}. */
        void set(FieldPath path, Object value) {
            set(path, value, JsonTree::same);
        }

        /** Sets a field unless {@code inPlace} says that what it holds already does. */
        void set(FieldPath path, Object value, java.util.function.BiPredicate<Object, Object> inPlace) {
            Optional<Object> now = path.get(object);
            if (now.isPresent() && inPlace.test(now.get(), value)) {
                return;
            }
            int created = path.set(object, value);
            run.add(new Ownership.Owned(path, now.isPresent(), now.map(JsonTree::copy).orElse(null), JsonTree.copy(value), created));
        }

        /**
         * Stores the merged record on the object.
         *
         * @param user on the gateway: the model that now uses sync through it
         */
        Plan.Change finish(boolean gateway, String user) {
            Ownership record = recordBefore.orElse(new Ownership(!annotationsExisted, List.of(), List.of())).merge(run);
            if (user != null) {
                record = record.withUser(user);
            }
            if (!Objects.equals(Optional.of(record), recordBefore) && !record.isEmpty()) {
                record.store(object);
            }
            return new Plan.Change(ObjectRef.of(object), run, recordBefore, gateway);
        }
    }
}
