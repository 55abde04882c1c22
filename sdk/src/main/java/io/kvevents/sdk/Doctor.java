package io.kvevents.sdk;

import io.kvevents.internal.doctor.GatewayMemory;
import io.kvevents.internal.doctor.PodEvidence;
import io.kvevents.internal.kube.Engine;
import io.kvevents.internal.kube.JsonTree;
import io.kvevents.internal.kube.KubeApi;
import io.kvevents.internal.kube.PodTargets;
import io.kvevents.internal.kube.StatusCheck;
import io.kvevents.internal.kube.TokenizerCheck;
import io.kvevents.internal.kube.Workloads;
import io.kvevents.internal.metrics.EngineMetrics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Collectors;

/** The checks behind {@link DoctorReport#examine}: one per common issue of the migration guide. */
final class Doctor {
    private static final int LOG_LINES = 50;
    private static final Duration LAG_LIMIT = Duration.ofSeconds(1);
    /** Where the AIBrix gateway subscribes and asks for replays (e3e10f9 pkg/cache/kvcache/types.go). */
    private static final int GATEWAY_PUB_PORT = 5557;
    private static final int GATEWAY_ROUTER_PORT = 5558;

    private final KubeContext context;
    private final EnableOptions options;
    private final Duration look;
    private KubeApi kube;

    Doctor(KubeContext context, EnableOptions options, Duration look) {
        this.context = context;
        this.options = options;
        this.look = look;
    }

    DoctorReport examine(String model) {
        kube = KubeApi.connect(context);
        List<Map<String, Object>> objects = kube.modelObjects(options.gatewayNamespace(), options.gatewayDeployment());
        List<StatusCheck.Examined> examined = StatusCheck.examine(objects, model, options,
                kube.namespace() == null ? "any namespace" : "namespace " + kube.namespace(), true);
        List<Diagnosis> models = new ArrayList<>();
        List<Long> blocks = new ArrayList<>();
        List<String> unmeasured = new ArrayList<>();
        for (StatusCheck.Examined e : examined) {
            Map<String, Object> d = Workloads.find(objects, "Deployment", e.status().namespace(), e.status().model());
            List<Finding> findings = new ArrayList<>();
            OptionalLong held = diagnose(e, d, findings);
            if (held.isPresent()) {
                blocks.add(held.getAsLong());
            } else {
                unmeasured.add(e.status().model());
            }
            models.add(new Diagnosis(e.status().model(), e.status().namespace(), findings));
        }
        Map<String, Object> gatewayObject = Workloads.find(objects, "Deployment", options.gatewayNamespace(),
                options.gatewayDeployment());
        List<Finding> gateway = new ArrayList<>();
        String subject = "deployment.apps/" + options.gatewayDeployment() + " -n " + options.gatewayNamespace();
        if (gatewayObject == null) {
            String why = "no gateway deployment.apps/" + options.gatewayDeployment() + " in namespace "
                    + options.gatewayNamespace() + " (--gateway-namespace, --gateway-deployment name another)";
            gateway.add(Finding.skipped("tokenizer", subject, why));
            gateway.add(Finding.skipped("gateway-memory", subject, why));
        } else {
            GatewayConfig config = GatewayConfig.of(gatewayObject, objects);
            gateway.add(tokenizer(config, subject));
            gateway.add(memory(gatewayObject, config, blocks, unmeasured, subject));
        }
        return new DoctorReport(gateway, models);
    }

    /** The checks of one model; returns the KV blocks its engines hold, when their /metrics say. */
    private OptionalLong diagnose(StatusCheck.Examined e, Map<String, Object> d, List<Finding> out) {
        String name = e.status().model();
        String ns = e.status().namespace();
        String subject = "deployment.apps/" + name;
        String enable = "kubectl kvevents enable " + name + " -n " + ns;
        java.util.Optional<Rollouts.State> rollout;
        try {
            rollout = Rollouts.state(d);
        } catch (IllegalStateException unreadable) {
            out.add(Finding.fail("rollout", subject, unreadable.getMessage(), "kubectl annotate deployment/" + name
                    + " -n " + ns + " " + Rollouts.ANNOTATION + "- (if no rollout runs)"));
            rollout = java.util.Optional.empty();
        }
        if (rollout.isPresent()) {
            return inRollout(rollout.get(), d, name, ns, out);
        }
        ModelStatus s = e.status();
        out.add(s.missing().isEmpty()
                ? Finding.pass("configuration", subject, "KV events on: the engine publishes, its ports are declared, the"
                        + " Deployment and its pods are labelled, the gateway syncs")
                : Finding.fail("configuration", subject, "missing: " + String.join(", ", s.missing()), enable));
        Map<String, Object> template = JsonTree.child(d, "spec", "template", "spec");
        Map<String, Object> engineContainer = Workloads.findEngineContainer(d);
        Engine engine = engineContainer == null ? Engine.VLLM : Engine.of(engineContainer);
        PodTargets.Pod planned = PodTargets.engine(ns, name, template);
        topic(e, "flags", subject, "the engine's flags parse (no seed-style flags; the KV event config inside any shell"
                + " script)", enable, out);
        topic(e, "compatibility", subject, "no known mismatch between " + (engineContainer == null ? "the engine"
                : engineContainer.get("image")) + " and the gateway", enable, out);
        topic(e, "gateway-settings", "gateway", "the gateway's KV event settings agree with each other",
                "kubectl kvevents enable " + name + " -n " + ns + " (it writes the gateway's settings)", out);
        ports(ns, name, template, planned, engine, enable, out);

        List<Map<String, Object>> pods = kube.podsOf(d);
        labels(pods, subject, name, ns, out);
        crashes(pods, name, out);
        List<Map<String, Object>> ready = pods.stream().filter(PodTargets::isReady).toList();
        List<PodActivity> activity = live(ns, name, ready, out);
        blockSize(e, subject, activity, engine.blockSize(argv(engineContainer)), out);
        replayAnswers(planned, activity, subject, out);
        return heldBlocks(ns, ready);
    }

    /**
     * A model Deployment mid-rollout keeps KV events off by design (the canary's or green's pods carry them, and are
     * examined as a Deployment of their own): its event checks would fail and their fix, {@code enable}, would promote
     * the rollout. Its pods' health is still checked; it publishes nothing to the gateway's index.
     */
    private OptionalLong inRollout(Rollouts.State r, Map<String, Object> d, String name, String ns, List<Finding> out) {
        String subject = "deployment.apps/" + name;
        String where = r.strategy() == Rollouts.Strategy.CANARY ? "a canary rollout (deployment.apps/" + r.track() + ")"
                : r.cutOver() ? "a blue-green rollout, cut over to deployment.apps/" + r.track() + " (this one kept at 0)"
                : "a blue-green rollout beside deployment.apps/" + r.track();
        out.add(Finding.warn("rollout", subject, "in " + where + ": this Deployment keeps KV events off until the rollout"
                + " ends; the KV event checks are " + r.track() + "'s", "kubectl kvevents enable " + name + " -n " + ns
                + " promotes it (or cuts it over), kubectl kvevents disable " + name + " -n " + ns + " rolls it back"));
        crashes(kube.podsOf(d), name, out);
        return OptionalLong.of(0);
    }

    private static List<String> argv(Map<String, Object> container) {
        if (container == null) {
            return List.of();
        }
        try {
            return io.kvevents.internal.kube.EnablePlanner.engineArgv(container);
        } catch (IllegalArgumentException notOneCommand) {
            return List.of();
        }
    }

    private static void topic(StatusCheck.Examined e, String topic, String subject, String fine, String fix, List<Finding> out) {
        List<String> problems = e.problems(topic);
        if (problems.isEmpty()) {
            out.add(Finding.pass(topic, subject, fine));
        }
        problems.forEach(p -> out.add(Finding.fail(topic, subject, p, fix)));
    }

    /** Two sockets on one port (bind failures before they happen), and the ports the AIBrix gateway connects to. */
    private static void ports(String ns, String name, Map<String, Object> template, PodTargets.Pod planned, Engine engine,
            String enable, List<Finding> out) {
        String subject = "deployment.apps/" + name;
        List<String> collisions = PodEvidence.portCollisions(ns, name, template);
        if (collisions.isEmpty()) {
            out.add(Finding.pass("ports", subject, "no two sockets of a pod share a port (HTTP " + planned.httpPort()
                    + ", events " + planned.pubPort() + (planned.replays() ? ", replay " + planned.replayPort() : "")
                    + (planned.ranks() > 1 ? ", + rank for each of " + planned.ranks() + " data-parallel ranks" : "") + ")"));
        }
        for (String c : collisions) {
            out.add(Finding.fail("ports", subject, c + ": the second bind fails with \"Address already in use\" and the"
                    + " engine exits", "every rank r binds the configured ports + r: keep the event and replay ports at"
                    + " least " + planned.ranks() + " apart, clear of the HTTP port and the other containers' ports"));
        }
        if (!planned.replays()) {
            out.add(Finding.fail("replay-port", subject, "no replay_endpoint in --kv-events-config: a subscriber that misses"
                    + " a batch can never get it back", enable));
        } else if (planned.pubPort() != GATEWAY_PUB_PORT || planned.replayPort() != GATEWAY_ROUTER_PORT) {
            out.add(Finding.fail("replay-port", subject, "the engine publishes on " + planned.pubPort() + " and replays on "
                    + planned.replayPort() + ", but the AIBrix gateway subscribes to " + GATEWAY_PUB_PORT + " and asks "
                    + GATEWAY_ROUTER_PORT + " (e3e10f9 pkg/kvevent/manager.go, kvcache.DefaultZMQClientConfig)",
                    "use tcp://*:" + GATEWAY_PUB_PORT + " and tcp://*:" + GATEWAY_ROUTER_PORT + " (" + enable + " writes them)"));
        } else if (planned.ranks() > 1) {
            out.add(Finding.warn("replay-port", subject, planned.ranks() + " data-parallel " + engine.displayName()
                    + " ranks publish on ports + rank, and the AIBrix gateway subscribes to " + GATEWAY_PUB_PORT + "/"
                    + GATEWAY_ROUTER_PORT + " only: the other ranks' blocks stay out of its index",
                    "kubectl kvevents tail " + name + " reads every rank; route on rank 0's blocks or run one rank per pod"));
        } else {
            out.add(Finding.pass("replay-port", subject, "events on " + planned.pubPort() + ", replay on "
                    + planned.replayPort() + ": where the AIBrix gateway connects"));
        }
    }

    /**
     * The pods carry what the gateway subscribes by (e3e10f9 pkg/kvevent/manager.go isPodSubscribable). A pod on its way
     * out is not asked: one terminating (a rollout's old pod in its grace period) or ended (evicted: Failed), which
     * the gateway neither routes to (pkg/utils/pod.go FilterReadyPod) nor subscribes to (only Running pods).
     */
    private static void labels(List<Map<String, Object>> all, String subject, String name, String ns, List<Finding> out) {
        List<Map<String, Object>> pods = all.stream().filter(p -> JsonTree.at(p, "metadata", "deletionTimestamp") == null
                && !"Succeeded".equals(JsonTree.at(p, "status", "phase"))
                && !"Failed".equals(JsonTree.at(p, "status", "phase"))).toList();
        if (pods.isEmpty()) {
            out.add(Finding.skipped("labels", subject, "no pod of the Deployment exists to look at"));
            return;
        }
        int before = out.size();
        for (Map<String, Object> pod : pods) {
            String podName = "pod/" + JsonTree.at(pod, "metadata", "name");
            Object enabled = JsonTree.at(pod, "metadata", "labels", Workloads.ENABLED);
            if (!"true".equals(enabled)) {
                out.add(Finding.fail("labels", podName, "no " + Workloads.ENABLED + "=true label: the gateway never"
                        + " subscribes to this pod (it runs a template from before enable)",
                        "kubectl rollout status deployment/" + name + " -n " + ns + " (wait for the rollout), else "
                                + "kubectl kvevents enable " + name + " -n " + ns));
            }
            Object model = JsonTree.at(pod, "metadata", "labels", Workloads.MODEL);
            Object annotated = JsonTree.at(pod, "metadata", "annotations", Workloads.MODEL);
            if ((model == null || "".equals(model)) && (annotated == null || "".equals(annotated))) {
                out.add(Finding.fail("labels", podName, "no " + Workloads.MODEL + " label or annotation: the gateway"
                        + " knows no model for this pod and neither routes to it nor subscribes to it",
                        "label the pod template: " + Workloads.MODEL + ": <the served model name>"));
            }
        }
        if (out.size() == before) {
            out.add(Finding.pass("labels", subject, pods.size() + (pods.size() == 1 ? " pod carries " : " pods carry ")
                    + Workloads.ENABLED + "=true and a " + Workloads.MODEL + ": the gateway subscribes to them"));
        }
    }

    /** Crash loops and bind failures, from container statuses, the crashed instance's log, and the pod's events. */
    private void crashes(List<Map<String, Object>> pods, String model, List<Finding> out) {
        String subject = "deployment.apps/" + model;
        if (pods.isEmpty()) {
            out.add(Finding.skipped("crash-loop", subject, "no pod of the Deployment exists to look at"));
            out.add(Finding.skipped("bind", subject, "no pod of the Deployment exists to look at"));
            return;
        }
        boolean crashed = false;
        boolean bindFailed = false;
        String unreadable = null;
        for (Map<String, Object> pod : pods) {
            String ns = String.valueOf(JsonTree.at(pod, "metadata", "namespace"));
            String podName = String.valueOf(JsonTree.at(pod, "metadata", "name"));
            for (PodEvidence.Trouble t : PodEvidence.troubles(pod)) {
                crashed = true;
                String log;
                try {
                    log = kube.podLog(ns, podName, t.container(), true, LOG_LINES);
                    if (log == null) {
                        log = kube.podLog(ns, podName, t.container(), false, LOG_LINES);
                    }
                } catch (IllegalStateException forbidden) {
                    unreadable = forbidden.getMessage();
                    var byReason = PodEvidence.cause(null, t.lastReason(), model + " -n " + ns);
                    out.add(Finding.fail("crash-loop", "pod/" + podName, t.describe() + "; its log could not be read: "
                            + forbidden.getMessage() + byReason.map(c -> "; " + c.evidence()).orElse(""),
                            byReason.map(PodEvidence.Cause::fix).orElse("kubectl logs " + podName + " -n " + ns + " -c "
                                    + t.container() + " --previous")));
                    continue;
                }
                String warning = lastWarning(ns, podName);
                var cause = PodEvidence.cause(log, t.lastReason(), model + " -n " + ns);
                String evidence = t.describe() + (warning == null ? "" : "; event: " + warning);
                if (cause.isEmpty() && warning != null) {
                    // an event may say what the log does not (its text is in the evidence already)
                    cause = PodEvidence.cause(warning, null, model + " -n " + ns)
                            .map(c -> new PodEvidence.Cause(c.check(), null, c.fix()));
                }
                if (cause.isPresent()) {
                    bindFailed |= "bind".equals(cause.get().check());
                    out.add(Finding.fail(cause.get().check(), "pod/" + podName, evidence
                            + (cause.get().evidence() == null ? "" : "; log: " + cause.get().evidence()), cause.get().fix()));
                } else {
                    String last = PodEvidence.lastLine(log);
                    String fix = "kubectl logs " + podName + " -n " + ns + " -c " + t.container() + " --previous";
                    out.add(t.waiting() != null
                            ? Finding.fail("crash-loop", "pod/" + podName, evidence + (last == null ? "" : "; log: " + last), fix)
                            : Finding.warn("crash-loop", "pod/" + podName, evidence + (last == null ? "" : "; log: " + last)
                                    + "; it runs again now", fix));
                }
            }
        }
        if (!crashed) {
            out.add(Finding.pass("crash-loop", subject, "no container of " + pods.size()
                    + (pods.size() == 1 ? " pod" : " pods") + " restarted"));
        }
        if (!bindFailed && unreadable != null) {
            out.add(Finding.skipped("bind", subject, "a crashed container's log could not be read (" + unreadable + ")"));
        } else if (!bindFailed) {
            out.add(Finding.pass("bind", subject, crashed ? "no crashed container logged \"Address already in use\""
                    : "no container exited (a failed ZeroMQ bind makes the engine exit at start)"));
        }
    }

    /** The newest Warning event about a pod, or null (or when events cannot be read: the log says enough). */
    private String lastWarning(String ns, String pod) {
        try {
            List<Map<String, Object>> events = kube.eventsAbout(ns, "Pod", pod);
            for (int i = events.size() - 1; i >= 0; i--) {
                if ("Warning".equals(events.get(i).get("type"))) {
                    return events.get(i).get("reason") + ": " + events.get(i).get("message");
                }
            }
        } catch (IllegalStateException forbidden) {
            // events are corroboration only
        }
        return null;
    }

    /** Publishing and event lag, watching the ready pods for {@link #look} through port-forward. */
    private List<PodActivity> live(String ns, String model, List<Map<String, Object>> ready, List<Finding> out) {
        String subject = "deployment.apps/" + model;
        if (ready.isEmpty()) {
            out.add(Finding.skipped("publishing", subject, "no ready pod to watch"));
            out.add(Finding.skipped("event-lag", subject, "no ready pod to watch"));
            return List.of();
        }
        List<PodActivity> activity;
        try (ModelPods pods = ModelPods.find(context.inNamespace(ns), model)) {
            activity = PodActivity.perPod(pods.probe(look));
        } catch (RuntimeException e) {
            out.add(Finding.skipped("publishing", subject, "could not watch the pods: " + e.getMessage()));
            out.add(Finding.skipped("event-lag", subject, "could not watch the pods: " + e.getMessage()));
            return List.of();
        }
        String seconds = look.toMillis() % 1000 == 0 ? look.toSeconds() + "s" : look.toMillis() + "ms";
        int quiet = 0;
        for (PodActivity a : activity) {
            if (!a.publishes()) {
                quiet++;
                out.add(Finding.fail("publishing", "pod/" + a.podName(), "sent no batch in " + seconds
                        + " and its replay port did not answer" + (a.problem() == null ? "" : " (" + a.problem() + ")"),
                        "kubectl logs " + a.podName() + " (is the ZeroMQ publisher up?), then kubectl kvevents enable " + model));
            }
        }
        if (quiet == 0) {
            out.add(Finding.pass("publishing", subject, activity.size() + (activity.size() == 1 ? " pod publishes" : " pods publish")
                    + " (a batch came or the replay port answered)"));
        }
        List<PodActivity> measured = activity.stream().filter(a -> a.delay() != null).toList();
        if (measured.isEmpty()) {
            out.add(Finding.skipped("event-lag", subject, "no batch came live in " + seconds + ": send the model requests"
                    + " while doctor looks, or look longer (--look)"));
            return activity;
        }
        int late = 0;
        for (PodActivity a : measured) {
            if (a.delay().compareTo(LAG_LIMIT) > 0) {
                late++;
                out.add(Finding.fail("event-lag", "pod/" + a.podName(), "its last live batch arrived " + millis(a.delay())
                        + " after the engine stamped it (over 1 s)", "compare the node's clock with this machine's (NTP: the"
                        + " lag includes clock skew); if they agree, the engine or the network holds events back"));
            }
        }
        if (late == 0) {
            out.add(Finding.pass("event-lag", subject, measured.stream().map(a -> a.podName() + " " + millis(a.delay()))
                    .collect(Collectors.joining(", ")) + " from the engine's stamp to arrival"));
        }
        return activity;
    }

    private static String millis(Duration d) {
        return d.toMillis() < 10_000 ? d.toMillis() + " ms" : d.toSeconds() + " s";
    }

    /** The block size the manifests give (and the gateway agrees with), against what the engines' events carry. */
    private static void blockSize(StatusCheck.Examined e, String subject, List<PodActivity> activity, int tokens,
            List<Finding> out) {
        List<String> problems = new ArrayList<>(e.problems("block-size"));
        for (PodActivity a : activity) {
            if (a.blockSize() != null && a.blockSize() != tokens) {
                problems.add("pod " + a.podName() + "'s events carry blocks of " + a.blockSize() + " tokens, the manifest "
                        + tokens + ": the pod runs another configuration (an unfinished rollout?)");
            }
        }
        if (problems.isEmpty()) {
            out.add(Finding.pass("block-size", subject, tokens + " tokens per block; the gateway's block size agrees"));
        }
        problems.forEach(p -> out.add(Finding.fail("block-size", subject, p, "set AIBRIX_PREFIX_CACHE_BLOCK_SIZE to 4 × the"
                + " engines' tokens per block (kubectl kvevents enable writes it)")));
    }

    private static void replayAnswers(PodTargets.Pod planned, List<PodActivity> activity, String subject, List<Finding> out) {
        if (!planned.replays()) {
            return;
        }
        for (PodActivity a : activity) {
            if (a.batches() > 0 && !a.replayAnswered()) {
                out.add(Finding.fail("replay-port", "pod/" + a.podName(), "it publishes, but its replay port "
                        + planned.replayPort() + " did not answer a replay request", "check replay_endpoint in"
                        + " --kv-events-config and the kv-replay container port"));
            }
        }
    }

    /** The KV blocks the ready pods' engines have, from each one's /metrics; empty when a pod's could not be read. */
    private OptionalLong heldBlocks(String ns, List<Map<String, Object>> ready) {
        if (ready.isEmpty()) {
            return OptionalLong.empty();
        }
        long sum = 0;
        for (Map<String, Object> pod : ready) {
            OptionalLong blocks;
            try {
                blocks = GatewayMemory.engineBlocks(EngineMetrics.scrape(kube, pod));
            } catch (RuntimeException unreadable) {
                return OptionalLong.empty();
            }
            if (blocks.isEmpty()) {
                return OptionalLong.empty();
            }
            sum += blocks.getAsLong();
        }
        return OptionalLong.of(sum);
    }

    private Finding tokenizer(GatewayConfig config, String subject) {
        if (!config.remoteTokenizer() || config.tokenizerEndpoint() == null) {
            return Finding.fail("tokenizer", subject, "the gateway has no remote tokenizer (AIBRIX_PREFIX_CACHE_USE_REMOTE_"
                    + "TOKENIZER, …_REMOTE_TOKENIZER_ENDPOINT): AIBrix turns KV event sync off without one (e3e10f9"
                    + " pkg/kvevent/manager.go validateConfiguration)", "kubectl kvevents enable MODEL --tokenizer URL");
        }
        try {
            TokenizerCheck.Probe p = TokenizerCheck.probe(kube, config.tokenizerEndpoint(), options.gatewayNamespace());
            if (p.answered() == null) {
                return Finding.skipped("tokenizer", subject, p.message());
            }
            return p.answered() ? Finding.pass("tokenizer", subject, p.message())
                    : Finding.fail("tokenizer", subject, p.message(), "kubectl get endpoints -n "
                            + options.gatewayNamespace() + "; the tokenizer must answer POST /tokenize as vLLM does");
        } catch (IllegalStateException | IllegalArgumentException e) {
            return Finding.skipped("tokenizer", subject, "could not check " + config.tokenizerEndpoint() + ": " + e.getMessage());
        }
    }

    private static Finding memory(Map<String, Object> gatewayObject, GatewayConfig config, List<Long> blocks,
            List<String> unmeasured, String subject) {
        if (!unmeasured.isEmpty()) {
            return Finding.skipped("gateway-memory", subject, "the engines' block counts are unknown for "
                    + String.join(", ", unmeasured) + ": no ready pod, or its /metrics has no vllm:cache_config_info");
        }
        long maxPrefixes = GatewayMemory.maxPrefixes(config.env());
        long need = blocks.stream().mapToLong(b -> GatewayMemory.estimate(b, maxPrefixes)).sum();
        long total = blocks.stream().mapToLong(Long::longValue).sum();
        String sizing = "the prefix index of the " + total + " KV blocks the models' engines hold needs about "
                + GatewayMemory.bytes(need);
        OptionalLong limit;
        try {
            limit = GatewayMemory.limit(gatewayObject);
        } catch (RuntimeException badQuantity) {
            return Finding.skipped("gateway-memory", subject, "the gateway's memory limit is not a quantity: "
                    + badQuantity.getMessage());
        }
        if (limit.isEmpty()) {
            return Finding.warn("gateway-memory", subject, sizing + ", and the gateway has no memory limit",
                    "set resources.limits.memory on the gateway plugin container, with room above that");
        }
        double share = need / (double) limit.getAsLong();
        String evidence = sizing + " of its " + GatewayMemory.bytes(limit.getAsLong()) + " limit ("
                + Math.round(share * 100) + " %)";
        return share > 0.8 ? Finding.fail("gateway-memory", subject, evidence + ": over the 80 % the guide alerts on",
                "raise the gateway plugin container's memory limit above " + GatewayMemory.bytes((long) (need / 0.6)))
                : Finding.pass("gateway-memory", subject, evidence);
    }
}
