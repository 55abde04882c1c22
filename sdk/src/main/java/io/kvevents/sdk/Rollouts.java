package io.kvevents.sdk;

import com.google.gson.Gson;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kvevents.internal.kube.EnablePlanner;
import io.kvevents.internal.kube.JsonPatchDiff;
import io.kvevents.internal.kube.JsonTree;
import io.kvevents.internal.kube.KubeApi;
import io.kvevents.internal.kube.Plan;
import io.kvevents.internal.kube.Workloads;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The migration guide's gradual strategies on a cluster, built on enable and disable (the same ownership, pre-flight,
 * backups and rollback).
 *
 * <p><b>Canary</b>: the model Deployment (stable) keeps its pods and template and gives up {@code c} replicas to a
 * second Deployment, {@code NAME-kvevents-canary}, made from what enable would make of it: KV events on, every label
 * the gateway and the Services select on, and {@value #TRACK_LABEL}{@code =canary} added to its selector and pods (its
 * ReplicaSets own its pods, and the stable's never match its selector). Both serve the model: the AIBrix gateway routes
 * a request among every pod of its model (e3e10f9 pkg/plugins/gateway/gateway_req_body.go calls the cache's
 * ListPodsByModel, pods keyed by {@code model.aibrix.ai/name}); it has no weights between Deployments, so the replica
 * split is the traffic split. <b>Blue-green</b>: the same with a
 * complete second Deployment ({@code NAME-kvevents-green}, every replica) beside blue, then a cut-over that scales
 * blue to zero and keeps it. The stable Deployment records the rollout in {@value #ANNOTATION}: which track, and its
 * replicas before, so that {@link #abort} gives it back exactly.
 */
public final class Rollouts {
    public static final String ANNOTATION = "kvevents.io/rollout";
    public static final String TRACK_LABEL = Workloads.TRACK;
    /** On the second Deployment: the model Deployment it belongs to. */
    public static final String TRACK_OF = "kvevents.io/track-of";
    private static final Gson GSON = new Gson();
    /** How long a step waits for a rollout that must finish before capacity moves, when the caller gives no timeout. */
    private static final Duration DEFAULT_WAIT = Duration.ofMinutes(10);

    private Rollouts() {
    }

    /** The two strategies. */
    public enum Strategy {
        CANARY("canary"), BLUE_GREEN("green");

        private final String track;

        Strategy(String track) {
            this.track = track;
        }

        /** The second Deployment's name. */
        public String trackName(String model) {
            return model + "-kvevents-" + track;
        }

        public String label() {
            return this == CANARY ? "canary" : "blue-green";
        }
    }

    /**
     * A rollout under way, as the stable Deployment records it.
     *
     * @param replicas the stable Deployment's replicas before the rollout
     * @param cutOver blue-green only: traffic moved to green, blue scaled to zero
     */
    public record State(Strategy strategy, String track, int replicas, boolean cutOver) {
    }

    /** The rollout recorded on a Deployment, if any. */
    public static Optional<State> state(Map<String, Object> deployment) {
        Object text = JsonTree.at(deployment, "metadata", "annotations", ANNOTATION);
        if (text == null) {
            return Optional.empty();
        }
        try {
            JsonObject o = JsonParser.parseString(String.valueOf(text)).getAsJsonObject();
            return Optional.of(new State(Strategy.valueOf(o.get("strategy").getAsString()), o.get("track").getAsString(),
                    o.get("replicas").getAsInt(), o.has("cutOver") && o.get("cutOver").getAsBoolean()));
        } catch (RuntimeException malformed) {
            throw new IllegalStateException("deployment.apps/" + JsonTree.name(deployment) + " carries a " + ANNOTATION
                    + " annotation this tool cannot read (" + text + "): fix or remove it (kubectl annotate deployment/"
                    + JsonTree.name(deployment) + " " + ANNOTATION + "-)", malformed);
        }
    }

    /**
     * The canary's replicas for {@code --canary N%} or {@code --canary N} of {@code replicas}: at least 1, at most all.
     *
     * @throws IllegalArgumentException when the size is not a percentage or a count, or is 0
     */
    public static int canaryReplicas(String size, int replicas) {
        String s = size.strip();
        int n;
        try {
            n = s.endsWith("%") ? (int) Math.ceil(replicas * Double.parseDouble(s.substring(0, s.length() - 1)) / 100.0)
                    : Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--canary takes a percentage (10%) or a pod count (2), got " + size);
        }
        if (n <= 0 || s.startsWith("-")) {
            throw new IllegalArgumentException("--canary must give the canary at least one pod, got " + size);
        }
        return Math.min(n, Math.max(1, replicas));
    }

    /**
     * Starts a canary of {@code size} (or resizes the one under way): the canary Deployment is created with KV events,
     * rolled out and verified (with {@link ApplyOptions#verify()}), and only then does the stable one give up as many
     * replicas: capacity never drops.
     *
     * @return what the model is now ({@code canary 1/4})
     * @throws ClusterMigration.RolledBackException when a step failed after a write (every write of this run undone)
     */
    public static String canary(KubeContext context, String model, String size, EnableOptions options, ApplyOptions apply) {
        KubeApi api = KubeApi.connect(context);
        Map<String, Object> stable = stable(api, model);
        Optional<State> state = state(stable);
        if (state.isPresent() && state.get().strategy() != Strategy.CANARY) {
            throw new IllegalStateException(target(stable) + " is in a blue-green rollout: roll it back (disable) or cut it"
                    + " over (enable) first");
        }
        int original = state.map(State::replicas).orElse(replicas(stable));
        int c = canaryReplicas(size, original);
        String from = state.isPresent() ? describe(api, stable, state.get()) : "off";
        String to = "canary " + c + "/" + original;
        if (state.isPresent()) {
            try {
                resize(api, stable, state.get(), c, waiting(apply), apply.progress());
            } catch (RuntimeException e) {
                String now = describe(api, current(api, stable), state.get());
                log(context, options, stable, "resize", from, now, "failed", e.getMessage(), apply.progress());
                throw new IllegalStateException(e.getMessage() + "; the model is at " + now + ": run --canary again to finish",
                        e);
            }
        } else {
            start(api, context, stable, Strategy.CANARY, c, original - c, options, apply);
        }
        if (c == original) {
            apply.progress().accept("warning: the canary has every replica of " + original + ": the stable Deployment is"
                    + " scaled to 0 (kept for abort)");
        }
        log(context, options, stable, state.isPresent() ? "resize" : "canary", from, to, "ok", null, apply.progress());
        return to;
    }

    /**
     * Starts a blue-green rollout: a complete green Deployment with KV events beside blue (both serve, the traffic split
     * by their ready pods), blue unchanged.
     */
    public static String blueGreen(KubeContext context, String model, EnableOptions options, ApplyOptions apply) {
        KubeApi api = KubeApi.connect(context);
        Map<String, Object> blue = stable(api, model);
        if (state(blue).isPresent()) {
            throw new IllegalStateException(target(blue) + " is in a " + state(blue).get().strategy().label() + " rollout"
                    + " already: enable promotes it, disable aborts it");
        }
        int r = replicas(blue);
        start(api, context, blue, Strategy.BLUE_GREEN, r, r, options, apply);
        log(context, options, blue, "blue-green", "off", "blue " + r + " + green " + r, "ok", null, apply.progress());
        return "blue " + r + " + green " + r;
    }

    /** The rollout recorded on a model's Deployment of the context's namespace, if any (for a dry run's refusal). */
    public static Optional<State> of(KubeContext context, String model) {
        KubeApi api = KubeApi.connect(context);
        Map<String, Object> d = api.deployment(api.defaultNamespace(), model);
        return d == null ? Optional.empty() : state(d);
    }

    /**
     * Finishes the step after a rollout's split: a canary is promoted (the stable Deployment gets its replicas back,
     * then KV events, and rolls out; then the canary goes: capacity never drops); a blue-green rollout is cut over once
     * green has rolled out (blue scaled to zero and kept for {@link #abort}). The record stays on the stable Deployment
     * until the last step, so that a promotion cut short is finished by running it again.
     *
     * @return empty when the model is in no rollout (a plain enable is what the caller wants)
     */
    public static Optional<String> promote(KubeContext context, String model, EnableOptions options, ApplyOptions apply) {
        KubeApi api = KubeApi.connect(context);
        Map<String, Object> stable = api.deployment(api.defaultNamespace(), model);
        Optional<State> state = stable == null ? Optional.empty() : state(stable);
        if (state.isEmpty()) {
            return Optional.empty();
        }
        State s = state.get();
        String ns = JsonTree.namespace(stable);
        String from = describe(api, stable, s);
        Consumer<String> progress = apply.progress();
        ObjectRef track = ObjectRef.of(trackShape(stable, s.track()));
        if (s.strategy() == Strategy.BLUE_GREEN) {
            if (s.cutOver()) {
                progress.accept(target(stable) + " is cut over already (blue at 0, kept for disable)");
                return Optional.of(from);
            }
            Map<String, Object> green = api.deployment(ns, s.track());
            if (green == null || replicas(green) < s.replicas()) {
                throw new IllegalStateException("deployment.apps/" + s.track() + (green == null ? " is gone" : " has "
                        + replicas(green) + " of " + s.replicas() + " replicas") + ": blue stays; disable " + model
                        + " rolls the rollout back");
            }
            try {
                // green must serve every replica before blue stops
                ClusterMigration.awaitRollouts(api, List.of(track), waiting(apply), progress);
            } catch (RuntimeException e) {
                log(context, options, stable, "cut-over", from, from, "failed", e.getMessage(), progress);
                throw new IllegalStateException(e.getMessage() + "; blue keeps serving: nothing was changed", e);
            }
            scale(api, stable, 0, new State(s.strategy(), s.track(), s.replicas(), true), progress);
            String to = "green " + s.replicas() + ", blue 0 (kept)";
            log(context, options, stable, "cut-over", from, to, "ok", null, progress);
            return Optional.of(to);
        }
        if (ClusterMigration.paused(stable)) {
            // enable would write its template and wait for a rollout a paused Deployment never makes
            throw new IllegalStateException(ClusterMigration.pausedMessage(model) + ": its promotion could not roll out;"
                    + " nothing was changed: resume it first");
        }
        scale(api, stable, s.replicas(), s, progress); // capacity rises; the record stays until the canary is gone
        try {
            ClusterMigration.enable(context, model, options, apply.withRollout(waiting(apply)))
                    .warnings().forEach(w -> progress.accept("warning: " + w));
        } catch (RuntimeException e) {
            // the canary still serves: the stable Deployment goes back to its share (enable undid its own writes)
            Map<String, Object> now = api.deployment(ns, model);
            int share = s.replicas() - replicas(api.deployment(ns, s.track()), 0);
            if (now != null) {
                scale(api, now, share, s, progress);
            }
            String message = e.getMessage() + "; the promotion was rolled back: " + target(stable) + " is back at " + share
                    + " replicas beside the canary";
            boolean half = e instanceof ClusterMigration.HalfAppliedException; // enable could not undo all its writes
            log(context, options, stable, "promote", from, from, half ? "failed" : "rolled back", message, progress);
            throw half ? new ClusterMigration.HalfAppliedException(message, e)
                    : new ClusterMigration.RolledBackException(message, e);
        }
        try {
            deleteTrack(api, track, progress, " deleted");
            scale(api, api.deployment(ns, model), s.replicas(), null, progress);
        } catch (RuntimeException e) {
            String message = e.getMessage() + "; " + target(stable) + " is enabled with " + s.replicas() + " replicas, but "
                    + track.target() + " may still run: run enable " + model + " again to finish";
            log(context, options, stable, "promote", from, "enabled, canary left", "failed", message, progress);
            throw new IllegalStateException(message, e);
        }
        String to = "enabled " + s.replicas() + "/" + s.replicas();
        log(context, options, stable, "promote", from, to, "ok", null, progress);
        return Optional.of(to);
    }

    /**
     * Ends a rollout the way it began: the stable (blue) Deployment gets its replicas back and rolls out before the
     * second Deployment is deleted, and what enable wrote for it on the Services and the gateway is undone as disable
     * undoes it. The record stays until the last step: an abort cut short is finished by running it again.
     *
     * @return empty when the model is in no rollout (a plain disable is what the caller wants)
     */
    public static Optional<String> abort(KubeContext context, String model, EnableOptions options, ApplyOptions apply) {
        KubeApi api = KubeApi.connect(context);
        Map<String, Object> stable = api.deployment(api.defaultNamespace(), model);
        Optional<State> state = stable == null ? Optional.empty() : state(stable);
        if (state.isEmpty()) {
            return Optional.empty();
        }
        State s = state.get();
        String ns = JsonTree.namespace(stable);
        String from = describe(api, stable, s);
        Consumer<String> progress = apply.progress();
        String action = s.strategy() == Strategy.CANARY ? "abort" : "rollback";
        ObjectRef track = ObjectRef.of(trackShape(stable, s.track()));
        try {
            scale(api, stable, s.replicas(), s, progress);
            // the stable pods must serve again before the second Deployment's go
            ClusterMigration.awaitRollouts(api, List.of(ObjectRef.of(stable)), waiting(apply), progress);
            deleteTrack(api, track, progress, " deleted");
            ClusterMigration.disable(context, model, options, false, apply.withRollout(null))
                    .warnings().forEach(w -> progress.accept("warning: " + w));
            scale(api, api.deployment(ns, model), s.replicas(), null, progress);
        } catch (RuntimeException e) {
            String now = describe(api, current(api, stable), s);
            log(context, options, stable, action, from, now, "failed", e.getMessage(), progress);
            throw new IllegalStateException(e.getMessage() + "; the model is at " + now + ": run disable " + model
                    + " again to finish", e);
        }
        String to = "off " + s.replicas() + "/" + s.replicas();
        log(context, options, stable, action, from, to, "ok", null, progress);
        return Optional.of(to);
    }

    /** How long a step waits for a rollout: the caller's timeout, else {@link #DEFAULT_WAIT}. */
    private static Duration waiting(ApplyOptions apply) {
        return apply.rollout() != null ? apply.rollout() : DEFAULT_WAIT;
    }

    /**
     * A rollout on manifests (GitOps): what {@link #canary}, {@link #blueGreen}, {@link #promote} and {@link #abort} do
     * on a cluster, as object trees: the second Deployment appended to the output, removed again by a promotion or an
     * abort (its document dropped), the stable one's replicas and record set as on a cluster. Nothing waits: the
     * rollout happens when the manifests are applied.
     *
     * @param size {@code N%} or {@code N} for a canary; null for blue-green, or for the step after the split
     * @param end true for disable (abort, roll back), false for enable
     * @return empty when the model is in no rollout and none is asked for (a plain enable or disable)
     */
    static Optional<MigrationPlan> onManifests(List<Map<String, Object>> manifests, String model, Strategy start, String size,
            boolean end, EnableOptions options, java.util.Set<String> syncUsers) {
        Map<String, Object> stable = Workloads.modelDeployment(manifests, model);
        Optional<State> state = state(stable);
        if (start == null && state.isEmpty()) {
            return Optional.empty();
        }
        ObjectRef stableRef = ObjectRef.of(stable);
        List<Map<String, Object>> before = manifests.stream().map(JsonTree::copy).toList();
        List<Map<String, Object>> after = new java.util.ArrayList<>();
        String ns = JsonTree.namespace(stable);
        java.util.function.Predicate<Map<String, Object>> isTrack = o -> state.isPresent() && "Deployment".equals(o.get("kind"))
                && state.get().track().equals(JsonTree.name(o)) && java.util.Objects.equals(ns, JsonTree.namespace(o));
        List<String> warnings = new java.util.ArrayList<>();
        if (start != null && state.isEmpty()) {
            Plan plan = EnablePlanner.plan(manifests, model, options, false, syncUsers);
            Map<String, Object> enabled = plan.objects().stream().filter(stableRef::matches).findFirst().orElseThrow();
            int r = replicas(stable);
            int trackReplicas = start == Strategy.CANARY ? canaryReplicas(size, r) : r;
            for (Map<String, Object> o : plan.objects()) {
                after.add(stableRef.matches(o) ? scaled(stable, start == Strategy.CANARY ? r - trackReplicas : r,
                        new State(start, start.trackName(JsonTree.name(stable)), r, false)) : o);
            }
            after.add(track(enabled, start, trackReplicas));
            warnings.addAll(plan.warnings());
        } else if (start != null) {
            State s = state.get();
            if (start != s.strategy() || start != Strategy.CANARY) {
                throw new IllegalStateException(target(stable) + " is in a " + s.strategy().label() + " rollout already:"
                        + " enable promotes it, disable aborts it");
            }
            int c = canaryReplicas(size, s.replicas());
            for (Map<String, Object> o : manifests) {
                after.add(stableRef.matches(o) ? scaled(o, s.replicas() - c, s) : isTrack.test(o) ? scaled(o, c, null) : JsonTree.copy(o));
            }
        } else if (end) {
            State s = state.get();
            List<Map<String, Object>> kept = new java.util.ArrayList<>();
            for (Map<String, Object> o : manifests) {
                if (!isTrack.test(o)) {
                    kept.add(stableRef.matches(o) ? scaled(o, s.replicas(), null) : JsonTree.copy(o));
                }
            }
            Set<String> users = new java.util.HashSet<>(syncUsers);
            users.remove(ns + "/" + s.track());
            Plan undo = io.kvevents.internal.kube.DisablePlanner.plan(kept, model, options, false, users, null);
            after.addAll(undo.objects());
            warnings.addAll(undo.warnings());
            warnings.add("delete deployment.apps/" + s.track() + " from the cluster once " + target(stable) + " has rolled out"
                    + " again: it is no longer in these manifests");
        } else {
            State s = state.get();
            if (s.strategy() == Strategy.BLUE_GREEN) {
                for (Map<String, Object> o : manifests) {
                    after.add(stableRef.matches(o) ? scaled(o, 0, new State(s.strategy(), s.track(), s.replicas(), true))
                            : JsonTree.copy(o));
                }
            } else {
                List<Map<String, Object>> kept = new java.util.ArrayList<>();
                for (Map<String, Object> o : manifests) {
                    if (!isTrack.test(o)) {
                        kept.add(stableRef.matches(o) ? scaled(o, s.replicas(), null) : JsonTree.copy(o));
                    }
                }
                Plan enable = EnablePlanner.plan(kept, model, options, false, syncUsers);
                after.addAll(enable.objects());
                warnings.addAll(enable.warnings());
                warnings.add("delete deployment.apps/" + s.track() + " once " + target(stable) + " has rolled out: it is no"
                        + " longer in these manifests");
            }
        }
        return Optional.of(new MigrationPlan(new Plan(ns + "/" + model, after, steps(before, after), warnings, List.of())));
    }

    /** A step per object that changed, appeared (created: its whole tree) or went (deleted). */
    private static List<PlanStep> steps(List<Map<String, Object>> before, List<Map<String, Object>> after) {
        List<PlanStep> steps = new java.util.ArrayList<>();
        for (Map<String, Object> a : after) {
            ObjectRef ref = ObjectRef.of(a);
            Map<String, Object> b = before.stream().filter(ref::matches).findFirst().orElse(null);
            if (b == null) {
                steps.add(new PlanStep(ref, "created", List.of(PatchOp.add("", a))));
            } else {
                List<PatchOp> patch = JsonPatchDiff.diff(b, a);
                if (!patch.isEmpty()) {
                    steps.add(new PlanStep(ref, "configured", patch));
                }
            }
        }
        for (Map<String, Object> b : before) {
            ObjectRef ref = ObjectRef.of(b);
            if (after.stream().noneMatch(ref::matches)) {
                steps.add(new PlanStep(ref, "deleted", List.of(PatchOp.remove(""))));
            }
        }
        return steps;
    }

    /**
     * Watches a freshly enabled model for {@code soak} (the guide's rolling strategy: "monitor each model before the
     * next"): no container of its pods restarts or waits in a back-off, and its replicas stay ready as its Deployment
     * itself judges them. A replacement pod (an eviction, a node drain) may take minutes to load a model,
     * so fewer ready replicas than wanted fail the soak only when the Deployment says it is under its minimum
     * availability (condition Available False: more than maxUnavailable missing) three looks in a row, or when the dip
     * outlasts the Deployment's own {@code progressDeadlineSeconds} (600 by default), after which Kubernetes calls a
     * rollout stuck too.
     *
     * @throws IllegalStateException naming what went wrong, as soon as it does
     */
    public static void soak(KubeContext context, String model, Duration soak, Consumer<String> progress) {
        KubeApi api = KubeApi.connect(context);
        String ns = api.defaultNamespace();
        Map<String, Long> restartsAtStart = restarts(api, ns, model);
        long every = Math.max(200, Math.min(5_000, soak.toMillis() / 4));
        long end = System.nanoTime() + soak.toNanos();
        progress.accept("deployment.apps/" + model + " soaking for " + soak.toSeconds() + "s");
        int unavailableLooks = 0;
        long dipSince = -1;
        long lastReady = 0;
        long lastWant = 0;
        while (System.nanoTime() < end) {
            try {
                Thread.sleep(Math.min(every, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while soaking " + model, e);
            }
            Map<String, Object> d = api.deployment(ns, model);
            if (d == null) {
                throw new IllegalStateException("deployment.apps/" + model + " was deleted while it soaked");
            }
            long want = replicas(d);
            long ready = JsonTree.at(d, "status", "readyReplicas") instanceof Number n ? n.longValue() : 0;
            lastReady = ready;
            lastWant = want;
            long now = System.nanoTime();
            dipSince = ready >= want ? -1 : dipSince < 0 ? now : dipSince;
            unavailableLooks = condition(d, "Available", "False") ? unavailableLooks + 1 : 0;
            if (unavailableLooks >= 3) {
                throw new IllegalStateException("deployment.apps/" + model + " has " + ready + " of " + want + " replicas"
                        + " ready, under its minimum availability, for " + 3 * every / 1000.0 + "s while it soaks");
            }
            long deadline = JsonTree.at(d, "spec", "progressDeadlineSeconds") instanceof Number n ? n.longValue() : 600;
            if (dipSince >= 0 && now - dipSince > java.util.concurrent.TimeUnit.SECONDS.toNanos(deadline)) {
                throw new IllegalStateException("deployment.apps/" + model + " has had " + ready + " of " + want
                        + " replicas ready for over " + deadline + "s (its progressDeadlineSeconds) while it soaks");
            }
            if (condition(d, "Progressing", "False")) {
                throw new IllegalStateException("deployment.apps/" + model + " stopped progressing while it soaked: "
                        + conditionMessage(d, "Progressing"));
            }
            for (Map.Entry<String, Long> pod : restarts(api, ns, model).entrySet()) {
                long before = restartsAtStart.getOrDefault(pod.getKey(), 0L);
                if (pod.getValue() > before) {
                    throw new IllegalStateException("pod " + pod.getKey() + " of " + model + " restarted while it soaked ("
                            + before + " → " + pod.getValue() + " restarts): see kubectl kvevents doctor " + model);
                }
            }
        }
        progress.accept("deployment.apps/" + model + " soaked " + soak.toSeconds() + "s: " + (dipSince < 0
                ? "every replica ready" : lastReady + " of " + lastWant + " replicas ready at the end, within its availability")
                + ", no restart");
    }

    /** True when the Deployment's condition {@code type} has {@code status}. */
    private static boolean condition(Map<String, Object> d, String type, String status) {
        return JsonTree.maps(JsonTree.at(d, "status", "conditions")).stream()
                .anyMatch(c -> type.equals(c.get("type")) && status.equals(c.get("status")));
    }

    private static String conditionMessage(Map<String, Object> d, String type) {
        return JsonTree.maps(JsonTree.at(d, "status", "conditions")).stream().filter(c -> type.equals(c.get("type")))
                .map(c -> c.get("reason") + ": " + c.get("message")).findFirst().orElse("");
    }

    /** Restarts per pod (every container's summed), for the pods of a Deployment's selector. */
    private static Map<String, Long> restarts(KubeApi api, String ns, String model) {
        Map<String, Object> d = api.deployment(ns, model);
        Map<String, Long> out = new LinkedHashMap<>();
        for (Map<String, Object> pod : d == null ? List.<Map<String, Object>>of() : api.podsOf(d)) {
            long n = 0;
            for (Map<String, Object> c : JsonTree.maps(JsonTree.at(pod, "status", "containerStatuses"))) {
                n += c.get("restartCount") instanceof Number r ? r.longValue() : 0;
            }
            out.put(JsonTree.name(pod), n);
        }
        return out;
    }

    /** Creates the second Deployment with KV events, verifies it, then scales the stable one; undone on failure. */
    private static void start(KubeApi api, KubeContext context, Map<String, Object> stable, Strategy strategy, int trackReplicas,
            int stableReplicas, EnableOptions options, ApplyOptions apply) {
        Consumer<String> progress = apply.progress();
        String model = JsonTree.name(stable);
        String ns = JsonTree.namespace(stable);
        if (Workloads.usesSync(stable)) {
            throw new IllegalStateException(target(stable) + " has KV events on already: a " + strategy.label() + " compares"
                    + " a Deployment without them against one with them (disable " + model + " first)");
        }
        if (replicas(stable) == 0) {
            throw new IllegalStateException(target(stable) + " is scaled to 0 replicas: there is no traffic to move");
        }
        // An autoscaler owns spec.replicas (it would undo the split) and counts every pod its target's selector
        // matches, the second Deployment's too: its labels are the stable's and one more.
        List<String> autoscalers = api.autoscalersOf(ns, model);
        if (autoscalers == null) {
            progress.accept("warning: cannot list horizontalpodautoscalers.autoscaling in namespace " + ns + ": if one"
                    + " scales " + target(stable) + ", it will undo the " + strategy.label() + "'s replicas");
        } else if (!autoscalers.isEmpty()) {
            throw new IllegalStateException(target(stable) + " is scaled by horizontalpodautoscaler.autoscaling/"
                    + String.join(", ", autoscalers) + ", which sets the replicas a " + strategy.label() + " splits and"
                    + " counts the second Deployment's pods as its own; nothing was changed: remove the autoscaler for the"
                    + " rollout, or enable " + model + " without --" + (strategy == Strategy.CANARY ? "canary" : "blue-green"));
        }
        String unchecked = ClusterMigration.tokenizerPreflight(context, options, progress);
        List<Map<String, Object>> objects = api.modelObjects(options.gatewayNamespace(), options.gatewayDeployment());
        KubeApi.SyncUsers users = api.syncUsers();
        Plan plan = EnablePlanner.plan(objects, model, options, !options.skipGateway(), users.users());
        ClusterMigration.checkPermissions(api, objects, plan);
        if (Boolean.FALSE.equals(api.canI("create", stable))) {
            throw new IllegalStateException("forbidden: you cannot create deployments.apps in namespace " + ns
                    + "; nothing was changed: ask for RBAC that allows it");
        }
        if (apply.backupDir() != null) {
            ClusterMigration.backup(objects, plan, apply.backupDir());
        }
        if (unchecked != null) {
            progress.accept("warning: " + unchecked);
        }
        plan.warnings().forEach(w -> progress.accept("warning: " + w));
        ObjectRef stableRef = ObjectRef.of(stable);
        Map<String, Object> enabled = plan.objects().stream().filter(stableRef::matches).findFirst().orElseThrow();
        Map<String, Object> track = track(enabled, strategy, trackReplicas);
        ObjectRef trackRef = ObjectRef.of(track);
        if (api.get(trackRef) != null) {
            throw new IllegalStateException(trackRef.target() + " exists already in namespace " + ns + ": delete it, or"
                    + " enable/disable " + model + " to finish the rollout it belongs to");
        }
        Map<ObjectRef, Plan.Change> applied = new LinkedHashMap<>();
        boolean created = false;
        try {
            api.create(track);
            created = true;
            progress.accept(trackRef.target() + " created (" + trackReplicas + " replicas, KV events on)");
            for (int attempt = 1; ; attempt++) {
                try {
                    for (PlanStep step : plan.steps()) {
                        if (step.object().equals(stableRef) || step.inPlace() || applied.containsKey(step.object())) {
                            continue;
                        }
                        Map<String, Object> object = objects.stream().filter(step.object()::matches).findFirst().orElseThrow();
                        api.patch(object, PatchOp.toJson(step.patch()), false);
                        applied.put(step.object(), ClusterMigration.change(plan, step.object()));
                        progress.accept(step.target() + " patched");
                    }
                    break;
                } catch (KubeApi.ConflictException conflict) {
                    if (attempt == 5) {
                        throw conflict;
                    }
                    // an object changed since it was read (a controller, another writer): read and plan again; what
                    // this run wrote already is in place in the new plan
                    objects = api.modelObjects(options.gatewayNamespace(), options.gatewayDeployment());
                    plan = EnablePlanner.plan(objects, model, options, !options.skipGateway(), api.syncUsers().users());
                }
            }
            // the second Deployment serves (and publishes) before the stable one gives anything up
            ClusterMigration.awaitRollouts(api, List.of(trackRef), waiting(apply), progress);
            if (apply.verify() != null) {
                ClusterMigration.verify(context, ns, trackRef.name(), apply.verify(), progress);
            }
            Map<String, Object> now = api.deployment(ns, model);
            scale(api, now, stableReplicas, new State(strategy, trackRef.name(), replicas(stable), false), progress);
        } catch (RuntimeException e) {
            if (!created) {
                throw e;
            }
            deleteTrack(api, trackRef, progress, " deleted (rolled back)");
            RuntimeException rolledBack = ClusterMigration.rolledBack(api, options, apply, plan.self(),
                    applied, e);
            log(context, options, stable, strategy == Strategy.CANARY ? "canary" : "blue-green", "off", "off",
                    rolledBack instanceof ClusterMigration.RolledBackException ? "rolled back" : "failed",
                    rolledBack.getMessage(), progress);
            throw rolledBack;
        }
    }

    /** Resizes a canary: a growing canary rolls out before the stable one shrinks, so that capacity never drops. */
    private static void resize(KubeApi api, Map<String, Object> stable, State s, int c, Duration wait, Consumer<String> progress) {
        String ns = JsonTree.namespace(stable);
        Map<String, Object> canary = api.deployment(ns, s.track());
        if (canary == null) {
            throw new IllegalStateException("deployment.apps/" + s.track() + " is gone: disable " + JsonTree.name(stable)
                    + " gives the stable Deployment its " + s.replicas() + " replicas back");
        }
        if (c > replicas(canary)) {
            scale(api, canary, c, null, progress);
            ClusterMigration.awaitRollouts(api, List.of(ObjectRef.of(canary)), wait, progress);
            scale(api, api.deployment(ns, JsonTree.name(stable)), s.replicas() - c, s, progress);
        } else {
            scale(api, stable, s.replicas() - c, s, progress);
            ClusterMigration.awaitRollouts(api, List.of(ObjectRef.of(stable)), wait, progress);
            scale(api, api.deployment(ns, s.track()), c, null, progress);
        }
    }

    /**
     * Sets a Deployment's replicas and its rollout record ({@code state} null: removed), guarded by the resourceVersion it
     * is read at; read and written again when it changed meanwhile (its controller writes its status all the time).
     */
    private static void scale(KubeApi api, Map<String, Object> deployment, int replicas, State state, Consumer<String> progress) {
        String ns = JsonTree.namespace(deployment);
        String name = JsonTree.name(deployment);
        Map<String, Object> now = deployment;
        for (int attempt = 1; ; attempt++) {
            if (now == null) {
                throw new IllegalStateException("deployment.apps/" + name + " was deleted meanwhile");
            }
            List<PatchOp> patch = JsonPatchDiff.diff(now, scaled(now, replicas, state));
            if (patch.isEmpty()) {
                return;
            }
            try {
                api.patch(now, PatchOp.toJson(patch), false);
                progress.accept(target(now) + (replicas(now) != replicas ? " scaled to " + replicas
                        : state == null ? ": rollout record removed" : ": rollout record updated"));
                return;
            } catch (KubeApi.ConflictException e) {
                if (attempt == 5) {
                    throw e;
                }
                now = api.deployment(ns, name);
            }
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> scaled(Map<String, Object> deployment, int replicas, State state) {
        Map<String, Object> after = JsonTree.copy(deployment);
        ((Map<String, Object>) after.get("spec")).put("replicas", replicas);
        if (JsonTree.at(deployment, "metadata", "labels", TRACK_LABEL) != null) {
            return after; // the second Deployment carries no record
        }
        Map<String, Object> meta = (Map<String, Object>) after.get("metadata");
        Map<String, Object> annotations = (Map<String, Object>) meta.computeIfAbsent("annotations", k -> new LinkedHashMap<>());
        if (state == null) {
            annotations.remove(ANNOTATION);
            if (annotations.isEmpty()) {
                meta.remove("annotations");
            }
        } else {
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("strategy", state.strategy().name());
            record.put("track", state.track());
            record.put("replicas", state.replicas());
            record.put("cutOver", state.cutOver());
            annotations.put(ANNOTATION, GSON.toJson(record));
        }
        return after;
    }

    /** The second Deployment: the enabled stable one, renamed, its selector and pods marked with the track. */
    @SuppressWarnings("unchecked")
    static Map<String, Object> track(Map<String, Object> enabled, Strategy strategy, int replicas) {
        Map<String, Object> t = JsonTree.copy(enabled);
        t.remove("status");
        Map<String, Object> meta = (Map<String, Object>) t.get("metadata");
        String model = String.valueOf(meta.get("name"));
        // what makes another controller or tool own it, adopt it or prune it: an owner's garbage collection, kubectl
        // apply --prune (the last applied configuration), Argo CD's tracking (its annotation, and the instance label
        // by default before Argo CD 3) and Helm's release
        for (String k : List.of("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields", "selfLink",
                "ownerReferences")) {
            meta.remove(k);
        }
        meta.put("name", strategy.trackName(model));
        Map<String, Object> labels = (Map<String, Object>) meta.computeIfAbsent("labels", k -> new LinkedHashMap<>());
        labels.put(TRACK_LABEL, strategy.track);
        labels.remove("app.kubernetes.io/instance");
        Map<String, Object> annotations = (Map<String, Object>) meta.computeIfAbsent("annotations", k -> new LinkedHashMap<>());
        annotations.remove("deployment.kubernetes.io/revision");
        annotations.remove(ANNOTATION);
        annotations.remove("kubectl.kubernetes.io/last-applied-configuration");
        annotations.remove("argocd.argoproj.io/tracking-id");
        annotations.keySet().removeIf(k -> k.startsWith("meta.helm.sh/"));
        annotations.put(TRACK_OF, model);
        // The model's name goes on the pods only: AIBrix's model router deletes the model's HTTPRoute when any
        // Deployment that names the model is deleted, whatever else still serves it (e3e10f9
        // pkg/controller/modelrouter/modelrouter_controller.go deleteRouteFromDeployment → deleteHTTPRoute), and
        // the gateway finds the model's pods by the pods' own label or annotation (ModelNameFromMetadata).
        labels.remove(Workloads.MODEL);
        annotations.remove(Workloads.MODEL);
        Map<String, Object> spec = (Map<String, Object>) t.get("spec");
        spec.put("replicas", replicas);
        spec.remove("paused"); // a paused Deployment makes no pods of its template: the second one would never serve
        ((Map<String, Object>) JsonTree.child(spec, "selector").computeIfAbsent("matchLabels", k -> new LinkedHashMap<>()))
                .put(TRACK_LABEL, strategy.track);
        ((Map<String, Object>) JsonTree.child(spec, "template", "metadata").computeIfAbsent("labels", k -> new LinkedHashMap<>()))
                .put(TRACK_LABEL, strategy.track);
        return t;
    }

    /**
     * Deletes a rollout's second Deployment. One made before its model's name went on its pods only (see {@link
     * #track}) loses the name first: deleted with it, AIBrix's model router would delete the model's route.
     */
    private static void deleteTrack(KubeApi api, ObjectRef track, Consumer<String> progress, String done) {
        Map<String, Object> now = api.get(track);
        if (now == null) {
            return;
        }
        List<PatchOp> unname = new ArrayList<>();
        for (String where : List.of("labels", "annotations")) {
            if (JsonTree.at(now, "metadata", where, Workloads.MODEL) != null) {
                unname.add(PatchOp.remove("/metadata/" + where + "/" + PatchOp.escape(Workloads.MODEL)));
            }
        }
        if (!unname.isEmpty()) {
            api.patch(now, PatchOp.toJson(unname), false);
            progress.accept(track.target() + ": " + Workloads.MODEL + " removed (AIBrix deletes the model's route with a"
                    + " Deployment that names it)");
        }
        if (api.delete(track)) {
            progress.accept(track.target() + done);
        }
    }

    private static Map<String, Object> trackShape(Map<String, Object> stable, String track) {
        Map<String, Object> shape = new LinkedHashMap<>();
        shape.put("apiVersion", "apps/v1");
        shape.put("kind", "Deployment");
        shape.put("metadata", Map.of("namespace", JsonTree.namespace(stable), "name", track));
        return shape;
    }

    private static Map<String, Object> stable(KubeApi api, String model) {
        String ns = api.defaultNamespace();
        Map<String, Object> d = api.deployment(ns, model);
        if (d == null) {
            throw new IllegalArgumentException("no Deployment named " + model + " in namespace " + ns);
        }
        if (JsonTree.at(d, "metadata", "labels", TRACK_LABEL) != null) {
            throw new IllegalArgumentException(target(d) + " is a rollout's second Deployment: name the model's own ("
                    + JsonTree.at(d, "metadata", "annotations", TRACK_OF) + ")");
        }
        if (!Workloads.runsEngine(d)) {
            throw new IllegalArgumentException(target(d) + " runs no vLLM or SGLang container");
        }
        return d;
    }

    /** The Deployment as it is now, or as it was read when it is gone. */
    private static Map<String, Object> current(KubeApi api, Map<String, Object> read) {
        Map<String, Object> now = api.deployment(JsonTree.namespace(read), JsonTree.name(read));
        return now != null ? now : read;
    }

    private static String describe(KubeApi api, Map<String, Object> stable, State s) {
        Map<String, Object> track = api.deployment(JsonTree.namespace(stable), s.track());
        int t = track == null ? 0 : replicas(track);
        return s.strategy() == Strategy.CANARY ? "canary " + t + "/" + s.replicas()
                : s.cutOver() ? "green " + t + ", blue 0 (kept)" : "blue " + replicas(stable) + " + green " + t;
    }

    private static int replicas(Map<String, Object> d) {
        return replicas(d, 1);
    }

    private static int replicas(Map<String, Object> d, int absent) {
        return d != null && JsonTree.at(d, "spec", "replicas") instanceof Number n ? n.intValue() : absent;
    }

    private static String target(Map<String, Object> d) {
        return "deployment.apps/" + JsonTree.name(d);
    }

    private static void log(KubeContext context, EnableOptions options, Map<String, Object> stable, String action, String from,
            String to, String result, String detail, Consumer<String> progress) {
        MigrationLog.record(context, options.gatewayNamespace(), MigrationLog.Entry.now(MigrationLog.who(context),
                JsonTree.namespace(stable), JsonTree.name(stable), action, from, to, result, detail),
                w -> progress.accept("warning: " + w));
    }
}
