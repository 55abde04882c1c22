package io.kvevents.internal.kube;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.ObjectRef;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Plans enable (docs/migration-guide.md) on object trees: the vLLM flag, ports, labels, Service ports and gateway env,
 * each write recorded in the object's {@link Ownership} so that disable can undo exactly that.
 */
public final class EnablePlanner {
    /** The migration guide's flags: vLLM has none of them and exits on them. */
    static final List<String> GUIDE_FLAGS = List.of("--enable-kv-cache-events", "--kv-events-publisher",
            "--kv-events-endpoint", "--kv-events-replay-endpoint");
    static final String CONFIG_FLAG = "--kv-events-config";
    static final String BLOCK_SIZE = "AIBRIX_PREFIX_CACHE_BLOCK_SIZE";
    static final String TOKENIZER_TEMPLATE = "AIBRIX_VLLM_TOKENIZER_ENDPOINT_TEMPLATE";
    static final String TOKENIZER_ENDPOINT = "AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT";
    /** The migration guide's name for it, which no AIBrix reads. */
    static final String SEED_TOKENIZER_ENDPOINT = "AIBRIX_REMOTE_TOKENIZER_ENDPOINT";
    static final String ENGINE = "model.aibrix.ai/engine";
    private static final Pattern VERSION = Pattern.compile("v?(\\d+)\\.(\\d+)(?:\\.(\\d+))?.*");
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

    private EnablePlanner() {
    }

    /**
     * @param syncUsers every Deployment ({@code namespace/name}) that uses sync, or null when they cannot all be
     *     seen (the gateway's own record of its users stands in)
     * @throws IllegalArgumentException when a pre-flight check fails (the message says which and what to do)
     */
    public static Plan plan(List<Map<String, Object>> input, String model, EnableOptions o, boolean gatewayRequired,
            Set<String> syncUsers) {
        List<Map<String, Object>> before = input.stream().map(JsonTree::copy).toList();
        List<Map<String, Object>> after = input.stream().map(JsonTree::copy).toList();
        List<String> warnings = new ArrayList<>();
        List<Plan.Change> changes = new ArrayList<>();
        List<ObjectRef> touched = new ArrayList<>();

        Map<String, Object> deployment = Workloads.modelDeployment(after, model);
        String self = Workloads.qualified(deployment);
        Map<String, Object> container = Workloads.engineContainer(deployment, o.container());
        Engine engine = Engine.of(container) == null ? Engine.VLLM : Engine.of(container);
        preflight(container, engine, o, warnings);
        if (engine == Engine.SGLANG && o.vllmArgs() == EnableOptions.VllmArgs.SEED) {
            // vLLM's separate flags: SGLang's argument parser exits on them
            throw new IllegalArgumentException("--vllm-args=seed writes vLLM's --enable-kv-cache-events and --kv-events-*"
                    + " flags, which SGLang does not take: use the default (--kv-events-config)");
        }
        Edits d = Edits.of(deployment);
        FieldPath c = FieldPath.keys("spec", "template", "spec").item("containers", "name", String.valueOf(container.get("name")));
        Optional<ShellScript.Location> script = ShellScript.locate(container);
        List<String> guide = new ArrayList<>();
        FieldPath flag;
        if (script.isPresent()) {
            if (o.vllmArgs() == EnableOptions.VllmArgs.SEED) {
                throw new IllegalArgumentException("--vllm-args=seed cannot edit a shell-wrapped command line; use the"
                        + " default (--kv-events-config)");
            }
            ShellScript.Location at = script.get();
            String text = ShellScript.text(container, at);
            ShellScript.argv(text); // refuses a script that is more than one vLLM command, before anything changes
            for (String g : GUIDE_FLAGS) {
                String without = g.equals("--enable-kv-cache-events") ? ShellScript.withoutSwitch(text, g)
                        : ShellScript.withoutFlag(text, g);
                if (!without.equals(text)) {
                    guide.add(g);
                    text = without;
                }
            }
            JsonTree.list(container, at.field()).set(at.index(), text);
            flag = c.then(new FieldPath.ScriptFlag(CONFIG_FLAG));
        } else {
            String argsField = argsField(container);
            guide.addAll(removeGuideFlags(JsonTree.list(container, argsField)));
            flag = c.then(new FieldPath.Flag(argsField, CONFIG_FLAG));
        }
        if (!guide.isEmpty()) {
            warnings.add(JsonTree.target(deployment) + ": removed the migration guide's flags " + guide + " (vLLM exits on"
                    + " them); disable does not put them back");
        }
        if (engine == Engine.SGLANG) {
            FieldPath pageSize = script.isPresent() ? c.then(new FieldPath.ScriptFlag(engine.blockFlag()))
                    : c.then(new FieldPath.Flag(argsField(container), engine.blockFlag()));
            List<String> words = engineArgv(container);
            if (pageSize.get(deployment).isEmpty() && words.stream().anyMatch(w -> w.equals("--speculative-algorithm")
                    || w.startsWith("--speculative-algorithm="))) {
                // SGLang refuses a page larger than one token with EAGLE's tree drafting (topk > 1, which it picks
                // itself for some models) on most attention backends, and NGRAM outside flashinfer (server_args.py,
                // "speculative_eagle_topk > 1 with page_size > 1 is unstable ..."): the engine would not start
                warnings.add(JsonTree.target(deployment) + " runs SGLang with speculative decoding: its page size is"
                        + " left at one token (SGLang refuses larger pages with some speculative settings), so it"
                        + " publishes one block per token; set --page-size yourself where your backend allows it");
            } else if (pageSize.get(deployment).isEmpty()) {
                // SGLang's page is its block, and it defaults to one token: a block (and an event) per token
                d.set(pageSize, "16");
            } else if (engine.blockSize(engineArgv(container)) == 1) {
                warnings.add(JsonTree.target(deployment) + " runs SGLang with --page-size 1: it publishes one block per"
                        + " token; 16 is the usual size");
            }
        }
        List<String> argv = engineArgv(container);
        String served = servedModel(deployment, container, warnings);
        Ports ports = ports(deployment, container, engine, argv, flag.get(deployment).map(String::valueOf).orElse(null), o,
                warnings);
        preflightPorts(deployment, container, engine, argv, ports, after, o);
        if (o.vllmArgs() == EnableOptions.VllmArgs.SEED) {
            String argsField = ((FieldPath.Flag) flag.segments().get(flag.segments().size() - 1)).list();
            d.set(c.then(new FieldPath.Switch(argsField, "--enable-kv-cache-events")), Boolean.TRUE);
            d.set(c.then(new FieldPath.Flag(argsField, "--kv-events-publisher")), "zmq");
            d.set(c.then(new FieldPath.Flag(argsField, "--kv-events-endpoint")), "tcp://*:" + ports.pub());
            d.set(c.then(new FieldPath.Flag(argsField, "--kv-events-replay-endpoint")), "tcp://*:" + ports.replay());
        } else {
            d.set(flag, kvEventsConfig(flag.get(deployment).map(String::valueOf).orElse(null), served, ports, engine));
            FieldPath podIp = c.item("env", "name", "POD_IP");
            if (podIp.get(deployment).isEmpty()) {
                d.set(podIp, map("name", "POD_IP", "valueFrom", map("fieldRef", map("fieldPath", "status.podIP"))));
            }
        }
        for (int rank = ports.firstRank(); rank < ports.firstRank() + ports.ranks(); rank++) {
            String events = portName("kv-events", rank);
            String replay = portName("kv-replay", rank);
            d.set(c.item("ports", "name", events), map("name", events, "containerPort", ports.pub() + rank, "protocol", "TCP"),
                    (now, want) -> same(now, want, "containerPort"));
            d.set(c.item("ports", "name", replay), map("name", replay, "containerPort", ports.replay() + rank, "protocol", "TCP"),
                    (now, want) -> same(now, want, "containerPort"));
        }
        if (engine == Engine.VLLM && !countsAsVllm(deployment, container)) {
            // AIBrix tokenizes only on pods it counts as vLLM; on others it falls back to its character tokenizer
            // (e3e10f9 pkg/plugins/gateway/algorithms/tokenizer_pool.go, isVLLMPod)
            d.set(FieldPath.keys("spec", "template", "metadata", "labels").key(ENGINE), "vllm");
        } else if (engine == Engine.SGLANG) {
            FieldPath label = FieldPath.keys("spec", "template", "metadata", "labels").key(ENGINE);
            if (label.get(deployment).isEmpty()) {
                d.set(label, engine.label()); // AIBrix reads its metric names per engine (e3e10f9 pkg/metrics/metrics.go)
            }
            warnings.add(JsonTree.target(deployment) + " runs SGLang: the AIBrix gateway (e3e10f9) decodes array events only"
                    + " (pkg/cache/kvcache/msgpack_decoder.go), so it drops SGLang's map events (after sglang #37482) and"
                    + " salted batches (a metadata map where it reads lora_name), and it asks /tokenize only of pods it"
                    + " counts as vLLM (tokenizer_pool.go isVLLMPod): tail and cache-probe read them all");
        }
        for (FieldPath meta : List.of(FieldPath.keys("metadata"), FieldPath.keys("spec", "template", "metadata"))) {
            FieldPath labels = meta.key("labels");
            FieldPath annotations = meta.key("annotations");
            d.set(labels.key(Workloads.ENABLED), "true");
            // AIBrix maps pods to models by this label, else by the annotation of the same name, which holds names a
            // label cannot ('/'): an existing one is never changed
            if (labels.key(Workloads.MODEL).get(deployment).isEmpty() && annotations.key(Workloads.MODEL).get(deployment).isEmpty()) {
                d.set((Workloads.labelValue(served) ? labels : annotations).key(Workloads.MODEL), served);
            }
        }
        changes.add(d.finish(false, null));
        touched.add(ObjectRef.of(deployment));

        for (Map<String, Object> service : Workloads.selectingServices(after, deployment)) {
            Edits s = Edits.of(service);
            for (int rank = ports.firstRank(); rank < ports.firstRank() + ports.ranks(); rank++) {
                String events = portName("kv-events", rank);
                String replay = portName("kv-replay", rank);
                int pub = ports.pub() + rank;
                int rep = ports.replay() + rank;
                s.set(FieldPath.keys("spec").item("ports", "name", events),
                        map("name", events, "port", pub, "targetPort", pub, "protocol", "TCP"), (now, want) -> same(now, want, "port"));
                s.set(FieldPath.keys("spec").item("ports", "name", replay),
                        map("name", replay, "port", rep, "targetPort", rep, "protocol", "TCP"), (now, want) -> same(now, want, "port"));
            }
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
            String gatewayImage = String.valueOf(Workloads.gatewayContainer(gateway).get("image"));
            Optional<String> mismatch = engine == Engine.VLLM
                    ? Compatibility.eventFormatMismatch(String.valueOf(container.get("image")), gatewayImage) : Optional.empty();
            if (mismatch.isPresent() && !o.force()) {
                throw new IllegalArgumentException(mismatch.get() + "; nothing was changed: pin vLLM below 0.24 or run a gateway"
                        + " that decodes map events, or pass --force");
            }
            mismatch.ifPresent(m -> warnings.add(m + " (--force)"));
            changes.add(gateway(gateway, after, self, o, ports.blockSize(), engine.httpPort(argv), syncUsers, warnings));
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
            EnableOptions o, int blockSize, int httpPort, Set<String> syncUsers, List<String> warnings) {
        Map<String, Object> container = Workloads.gatewayContainer(gateway);
        Map<String, ContainerEnv.Setting> env = ContainerEnv.of(container, o.gatewayNamespace(), objects);
        Map<String, String> want = new LinkedHashMap<>();
        want.put("AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED", "true");
        want.put("AIBRIX_KV_EVENT_SYNC_ENABLED", "true");
        want.put("AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER", "true");
        want.put("AIBRIX_USE_REMOTE_TOKENIZER", "true");
        want.put("AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE", "remote");
        want.put("AIBRIX_REMOTE_TOKENIZER_ENGINE", "vllm");
        // the sync indexer counts the block size in bytes of 4-byte tokens
        String bytes = String.valueOf(4 * blockSize);
        ContainerEnv.Setting held = env.get(BLOCK_SIZE);
        // the models that use the gateway now: every Deployment labelled for sync when they can all be seen (the
        // record can hold models deleted since, and misses those enabled by hand), else the record's list
        List<String> others = (syncUsers != null ? List.copyOf(syncUsers)
                : Ownership.read(gateway).map(Ownership::users).orElse(List.of()))
                .stream().filter(u -> !u.equals(self)).sorted().toList();
        if (held != null && held.value() != null && !held.value().equals(bytes) && !others.isEmpty()) {
            if (!o.force()) {
                throw new IllegalArgumentException("the gateway's " + BLOCK_SIZE + " is " + held.value() + " for the models that"
                        + " use sync through it " + others + ", but " + self + " has blocks of " + blockSize + " tokens ("
                        + bytes + "): one gateway indexes one block size; align --block-size, or pass --force");
            }
            warnings.add("the gateway's " + BLOCK_SIZE + " goes from " + held.value() + " to " + bytes + " (--force): "
                    + others + " no longer line up");
        }
        want.put(BLOCK_SIZE, bytes);
        // the gateway asks each pod's own /tokenize at this template (default http://%s:8000, prefix_cache.go)
        ContainerEnv.Setting template = env.get(TOKENIZER_TEMPLATE);
        String wanted = "http://%s:" + httpPort;
        if (httpPort != 8000 || template != null) {
            if (template != null && template.value() != null && !template.value().equals(wanted) && !others.isEmpty()) {
                warnings.add("the gateway's " + TOKENIZER_TEMPLATE + " is " + template.value() + " for " + others + ", but "
                        + self + " serves on port " + httpPort + ": one template serves every model; left as it is");
            } else {
                want.put(TOKENIZER_TEMPLATE, wanted);
            }
        }
        if (o.tokenizer() != null) {
            want.put(TOKENIZER_ENDPOINT, o.tokenizer());
            want.put(SEED_TOKENIZER_ENDPOINT, o.tokenizer());
        } else if (!present(env.get(TOKENIZER_ENDPOINT))) {
            // AIBrix turns sync on only with this endpoint set (e3e10f9 pkg/cache/kv_event_manager_zmq.go,
            // validateKVEventConfiguration) and reads it under this name alone: the guide's name carries over
            ContainerEnv.Setting seed = env.get(SEED_TOKENIZER_ENDPOINT);
            if (!present(seed) || seed.value() == null) {
                throw new IllegalArgumentException("the gateway has no remote tokenizer endpoint (" + TOKENIZER_ENDPOINT
                        + "), without which AIBrix leaves KV event sync off: nothing was changed; pass --tokenizer URL");
            }
            want.put(TOKENIZER_ENDPOINT, seed.value());
        }
        Edits g = Edits.of(gateway);
        FieldPath c = FieldPath.keys("spec", "template", "spec").item("containers", "name", String.valueOf(container.get("name")));
        want.forEach((name, value) -> {
            ContainerEnv.Setting now = env.get(name);
            if (now != null && now.value() != null && (value.equals("true") || value.equals("false"))
                    && Boolean.valueOf(value).equals(GoEnv.parseBool(now.value()))) {
                return; // "True" or "1" already means true to the gateway: left as written
            }
            if (now != null && now.source() != ContainerEnv.Source.VALUE) {
                if (now.value() == null) {
                    warnings.add("the gateway's " + name + " comes from " + now.from() + ", which cannot be read here: left as it"
                            + " is (it must be " + value + ")");
                    return;
                }
                if (now.value().equals(value)) {
                    return; // held elsewhere with the right value: never duplicated
                }
                String shown = now.from() != null && now.from().startsWith("Secret") ? "something else" : now.value();
                warnings.add("the gateway's " + name + " is " + shown + " in " + now.from() + ": an env entry set to "
                        + value + " now takes its place");
            }
            g.set(c.item("env", "name", name), map("name", name, "value", value));
        });
        return g.finish(true, self);
    }

    /** True for a setting the gateway sees as set: Go's os.Getenv gives "" for an unset one (e3e10f9 utils.LoadEnv). */
    private static boolean present(ContainerEnv.Setting setting) {
        return setting != null && (setting.value() == null || !setting.value().isEmpty());
    }

    private static void preflight(Map<String, Object> container, Engine engine, EnableOptions o, List<String> warnings) {
        String image = String.valueOf(container.get("image"));
        List<String> argv = engineArgv(container);
        if (engine == Engine.SGLANG) {
            if (argv.contains("--disable-radix-cache")) {
                throw new IllegalArgumentException("SGLang's prefix cache is off (--disable-radix-cache): the engine would"
                        + " publish no blocks; remove the flag first");
            }
            return;
        }
        int[] v = version(image);
        if (v == null) {
            warnings.add("cannot tell the vLLM version from image " + image + "; KV events need vLLM 0.9.0 or newer");
        } else if ((v[0] == 0 && v[1] < 9) && !o.force()) {
            throw new IllegalArgumentException("image " + image + " is vLLM " + v[0] + "." + v[1] + "." + v[2]
                    + ": KV events appeared in vLLM 0.9.0; upgrade the image, or pass --force");
        }
        if (argv.contains("--no-enable-prefix-caching") || argv.contains("--enable-prefix-caching=false")) {
            throw new IllegalArgumentException("prefix caching is disabled (--no-enable-prefix-caching): the engine would"
                    + " publish no blocks; remove the flag first");
        }
    }

    /** Every port the ranks bind must be free: not vLLM's HTTP port, not another container's, not another Service port. */
    private static void preflightPorts(Map<String, Object> deployment, Map<String, Object> container, Engine engine,
            List<String> argv, Ports ports, List<Map<String, Object>> objects, EnableOptions o) {
        Set<Integer> ours = new java.util.TreeSet<>();
        for (int r = ports.firstRank(); r < ports.firstRank() + ports.ranks(); r++) {
            ours.add(ports.pub() + r);
            ours.add(ports.replay() + r);
        }
        int http = engine.httpPort(argv);
        if (ours.contains(http)) {
            throw new IllegalArgumentException("port " + http + " is " + engine.displayName() + "'s HTTP port (--port);"
                    + " choose others with --pub-port/--replay-port");
        }
        for (Map<String, Object> c : JsonTree.containers(deployment)) {
            for (Map<String, Object> port : JsonTree.maps(c.get("ports"))) {
                Object number = port.get("containerPort");
                boolean mine = c == container && String.valueOf(port.get("name")).matches("kv-(events|replay)(-\\d+)?");
                if (!mine && number instanceof Number n && ours.contains(n.intValue())) {
                    throw new IllegalArgumentException("port " + n + " is already used by container " + c.get("name")
                            + (port.get("name") == null ? "" : " (port " + port.get("name") + ")")
                            + "; choose others with --pub-port/--replay-port");
                }
            }
        }
        for (Map<String, Object> service : Workloads.selectingServices(objects, deployment)) {
            for (Map<String, Object> port : JsonTree.maps(JsonTree.at(service, "spec", "ports"))) {
                boolean mine = String.valueOf(port.get("name")).matches("kv-(events|replay)(-\\d+)?");
                if (!mine && port.get("port") instanceof Number n && ours.contains(n.intValue())) {
                    throw new IllegalArgumentException(JsonTree.target(service) + " already uses port " + n
                            + (port.get("name") == null ? "" : " (" + port.get("name") + ")")
                            + "; choose others with --pub-port/--replay-port");
                }
            }
        }
    }

    /**
     * The ports the engine publishes on: an existing {@code --kv-events-config}'s when the defaults were not
     * overridden, else the requested ones; with data parallelism rank r binds pub+r and replay+r (vLLM since
     * 0.9.1; r is the global rank, so a pod started at {@code --data-parallel-start-rank} k runs ranks k to
     * k + {@code --data-parallel-size-local} − 1), so the two ranges must not overlap.
     */
    record Ports(int pub, int replay, int firstRank, int ranks, int blockSize) {
    }

    private static Ports ports(Map<String, Object> deployment, Map<String, Object> container, Engine engine,
            List<String> argv, String existing, EnableOptions o, List<String> warnings) {
        int pub = o.pubPort();
        int replay = o.replayPort();
        boolean defaults = pub == 5557 && replay == 5558;
        JsonObject config = parseConfig(existing);
        if (defaults && config != null) {
            pub = endpointPort(config, "endpoint", pub);
            replay = endpointPort(config, "replay_endpoint", replay);
        }
        int ranks = engine.dataParallelRanks(argv);
        int first = engine.firstRank(argv);
        Optional<Compatibility.Version> vllm = engine == Engine.SGLANG ? Optional.empty()
                : Compatibility.Version.ofImage(String.valueOf(container.get("image")));
        if (ranks > 1 && vllm.isPresent() && !Compatibility.offsetsDataParallelPorts(vllm.get()) && !o.force()) {
            throw new IllegalArgumentException("vLLM " + vllm.get() + " binds the same KV event ports on each of its " + ranks
                    + " data-parallel ranks (port offsets per rank came in 0.9.1): every rank but one fails to start;"
                    + " upgrade vLLM, or pass --force");
        }
        if (ranks > 1 && engine == Engine.SGLANG && !argv.contains("--enable-dp-attention")) {
            // SGLang's schedulers create their publisher with attn_dp_rank (scheduler_metrics_mixin.py), which is 0 for
            // every rank unless attention is data-parallel; later releases offset plain DP ranks too
            // (select_kv_publisher_dp_rank), and which release brought that is not known here
            warnings.add(JsonTree.target(deployment) + " runs SGLang with " + ranks + " data-parallel ranks without"
                    + " --enable-dp-attention: SGLang releases before select_kv_publisher_dp_rank give every such rank the"
                    + " same ports, and all but one fail to bind; check that yours offsets them (kubectl kvevents tail"
                    + " shows one source per rank)");
        }
        if (ranks > 1 && Math.abs(pub - replay) < ranks) {
            if (!defaults) {
                throw new IllegalArgumentException("with " + ranks + " data-parallel ranks, rank r binds " + pub + "+r and "
                        + replay + "+r: the ranges overlap; choose --pub-port and --replay-port at least " + ranks + " apart");
            }
            replay = pub + ranks;
            warnings.add(JsonTree.target(deployment) + " runs " + ranks + " data-parallel ranks, each binding pub+rank and"
                    + " replay+rank: KV events on " + (pub + first) + "-" + (pub + first + ranks - 1) + ", replay on "
                    + (replay + first) + "-" + (replay + first + ranks - 1));
        }
        if (first > 0) {
            warnings.add("the AIBrix gateway subscribes to port 5557 and replays from 5558 only: it sees none of the"
                    + " data-parallel ranks " + first + "-" + (first + ranks - 1) + " of " + JsonTree.target(deployment)
                    + " (--data-parallel-start-rank " + first + ")");
        } else if (ranks > 1) {
            warnings.add("the AIBrix gateway subscribes to port 5557 and replays from 5558 only: it sees rank 0 of "
                    + JsonTree.target(deployment) + ", not the other " + (ranks - 1));
        }
        if (pub != 5557 || replay != 5558) {
            warnings.add(JsonTree.target(deployment) + " publishes on " + pub + " and replays on " + replay + ": the AIBrix"
                    + " gateway connects to 5557 and 5558 only (tail and cache-probe read the ports from the config)");
        }
        return new Ports(pub, replay, first, ranks, engine.blockSize(argv));
    }

    private static JsonObject parseConfig(String json) {
        if (json == null || json.isBlank()) {
            return null;
        }
        try {
            return JsonParser.parseString(json).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("the existing " + CONFIG_FLAG + " is not a JSON object (" + json + "): fix or"
                    + " remove it first");
        }
    }

    private static int endpointPort(JsonObject config, String key, int fallback) {
        if (config.get(key) instanceof com.google.gson.JsonPrimitive p && p.isString()) {
            Matcher m = Pattern.compile(":(\\d+)$").matcher(p.getAsString());
            if (m.find()) {
                return Integer.parseInt(m.group(1));
            }
        }
        return fallback;
    }

    /** {@code kv-events}, {@code kv-events-1}, …: a container and Service port name per rank. */
    static String portName(String base, int rank) {
        return rank == 0 ? base : base + "-" + rank;
    }

    /** The integer value of the first of {@code flags} found, else {@code absent}. */
    static int intFlag(List<String> argv, int absent, String... flags) {
        for (String f : flags) {
            String v = Flags.value(argv, f);
            if (v != null && v.matches("\\d{1,9}")) {
                return Integer.parseInt(v);
            }
        }
        return absent;
    }

    /**
     * True when the AIBrix gateway counts the pods as vLLM: label or annotation {@value #ENGINE}=vllm, env
     * {@code INFERENCE_ENGINE=vllm}, or a container port 8000 (e3e10f9 tokenizer_pool.go, isVLLMPod).
     */
    static boolean countsAsVllm(Map<String, Object> deployment, Map<String, Object> container) {
        if ("vllm".equals(JsonTree.at(deployment, "spec", "template", "metadata", "labels", ENGINE))
                || "vllm".equals(JsonTree.at(deployment, "spec", "template", "metadata", "annotations", ENGINE))) {
            return true;
        }
        for (Map<String, Object> c : JsonTree.containers(deployment)) {
            if (JsonTree.maps(c.get("env")).stream().anyMatch(e -> "INFERENCE_ENGINE".equals(e.get("name")) && "vllm".equals(e.get("value")))
                    || JsonTree.maps(c.get("ports")).stream().anyMatch(p -> JsonTree.same(p.get("containerPort"), 8000))) {
                return true;
            }
        }
        return false;
    }

    /** The words vLLM's argument parser sees: the shell script's, or the container's command and args. */
    public static List<String> engineArgv(Map<String, Object> container) {
        Optional<ShellScript.Location> script = ShellScript.locate(container);
        if (script.isPresent()) {
            return ShellScript.argv(ShellScript.text(container, script.get()));
        }
        List<String> words = new ArrayList<>();
        JsonTree.existing(container, "command").forEach(w -> words.add(String.valueOf(w)));
        JsonTree.existing(container, "args").forEach(w -> words.add(String.valueOf(w)));
        return words;
    }

    /**
     * The model the engine serves, as the gateway routes to it: the AIBrix model name (label or annotation, never
     * changed), else what the engine serves (its first {@code --served-model-name}, else its model argument), else
     * the Deployment's name.
     *
     * @throws IllegalArgumentException when the AIBrix name is not among the engine's {@code --served-model-name}s
     */
    private static String servedModel(Map<String, Object> deployment, Map<String, Object> container, List<String> warnings) {
        Optional<String> aibrix = Workloads.aibrixModelName(deployment);
        Engine.Served engine = Engine.served(container);
        List<String> served = engine.names();
        if (aibrix.isPresent() && !served.isEmpty() && !served.contains(aibrix.get())) {
            String message = JsonTree.target(deployment) + " names its pods " + Workloads.MODEL + "=" + aibrix.get()
                    + " but the engine serves " + served + (engine.explicit() ? " (--served-model-name)" : " (its model argument)")
                    + ": the gateway would route " + aibrix.get() + " to pods that do not serve it";
            if (engine.explicit()) {
                throw new IllegalArgumentException(message + "; make them agree first");
            }
            warnings.add(message + ", unless its model is served under that name; --served-model-name " + aibrix.get()
                    + " makes it so");
        }
        return aibrix.orElse(served.isEmpty() ? JsonTree.name(deployment) : served.get(0));
    }

    /**
     * {@code --kv-events-config} JSON (the only real flag, vLLM ≥ 0.9.0 and SGLang alike): an existing one merged
     * (the operator's buffer_steps, hwm, topic and other keys kept, in their order), publisher explicit (its
     * default was null before vLLM 0.11.1, and is {@code "null"} in SGLang), sync on (vLLM's switch; SGLang has
     * none), the endpoints on the chosen ports.
     */
    static String kvEventsConfig(String existing, String model, Ports ports, Engine engine) {
        JsonObject c = parseConfig(existing);
        if (c == null) {
            c = new JsonObject();
        }
        if (engine == Engine.VLLM) {
            c.addProperty("enable_kv_cache_events", true);
        }
        if (!c.has("publisher") || c.get("publisher").isJsonNull() || !"zmq".equals(c.get("publisher").getAsString())) {
            c.addProperty("publisher", "zmq");
        }
        c.addProperty("endpoint", withPort(c, "endpoint", ports.pub()));
        c.addProperty("replay_endpoint", withPort(c, "replay_endpoint", ports.replay()));
        if (!c.has("topic") || c.get("topic").isJsonNull() || c.get("topic").getAsString().isEmpty()) {
            c.addProperty("topic", "kv@$(POD_IP)@" + model);
        }
        return GSON.toJson(c);
    }

    /** The endpoint under {@code key} with its port set (its scheme and host kept), or {@code tcp://*:PORT}. */
    private static String withPort(JsonObject c, String key, int port) {
        if (c.get(key) instanceof com.google.gson.JsonPrimitive p && p.isString() && p.getAsString().startsWith("tcp://")) {
            return p.getAsString().replaceFirst(":\\d+$", "") + ":" + port;
        }
        return "tcp://*:" + port;
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

    /** The list vLLM's flags live in (no shell script): args, or the command when it carries the whole invocation. */
    static String argsField(Map<String, Object> container) {
        List<Object> command = JsonTree.existing(container, "command");
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
