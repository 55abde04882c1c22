package io.kvevents.sdk;

import io.kvevents.internal.kube.BackupRestore;
import io.kvevents.internal.kube.DisablePlanner;
import io.kvevents.internal.kube.EnablePlanner;
import io.kvevents.internal.kube.JsonPatchDiff;
import io.kvevents.internal.kube.JsonTree;
import io.kvevents.internal.kube.KubeApi;
import io.kvevents.internal.kube.Ownership;
import io.kvevents.internal.kube.Plan;
import io.kvevents.internal.kube.TokenizerCheck;
import io.kvevents.internal.kube.Workloads;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@link MigrationPlan}s applied to a cluster: read the objects, plan, back up what will change (0600),
 * patch each object with a JSON patch guarded by its resourceVersion, read and plan again when an object
 * changed meanwhile (409), and when a later step fails undo this run's writes, and only those.
 */
public final class ClusterMigration {

    private ClusterMigration() {
    }

    /** How much to write. */
    public enum DryRun {
        /** Patch for real. */
        NONE,
        /** Compute and print the plan; send no write at all. */
        CLIENT,
        /** Send every patch with {@code dryRun=All}: the server validates and stores nothing. */
        SERVER
    }

    /** A patch failed after others were applied; they were rolled back. */
    public static final class RolledBackException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public RolledBackException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * A step failed after writes, and some of them could not be undone: the cluster is half-applied. The message
     * names them and the {@code disable --restore} that puts the backup back.
     */
    public static final class HalfAppliedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        public HalfAppliedException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Enables KV event sync for {@code model} in the context's namespace: pre-flight, backup, one patch per
     * object guarded by its resourceVersion, then (with {@link ApplyOptions#rollout()}) the rollouts and
     * (with {@link ApplyOptions#verify()}) a check that a ready pod publishes.
     *
     * @throws RolledBackException when something failed after a first write (this run's writes were undone)
     */
    public static MigrationPlan enable(KubeContext context, String model, EnableOptions options, ApplyOptions apply) {
        String unchecked = tokenizerPreflight(context, options, apply.progress());
        MigrationPlan plan = run(context, options, apply, true, (objects, users) -> EnablePlanner.plan(objects, model, options, true,
                users.users()));
        return unchecked == null ? plan : plan.withWarning(unchecked);
    }

    /**
     * The tokenizer pre-flight, before anything is written: a gateway without its tokenizer cannot route by prefix.
     *
     * @return a warning when the tokenizer could not be checked (or was refused and {@code --force} goes on), else null
     * @throws IllegalStateException when it does not answer (without --force)
     */
    static String tokenizerPreflight(KubeContext context, EnableOptions options, Consumer<String> progress) {
        if (options.tokenizer() == null) {
            return null;
        }
        try {
            TokenizerCheck.Outcome tokenizer = TokenizerCheck.check(KubeApi.connect(context), options.tokenizer(),
                    options.gatewayNamespace());
            if (tokenizer.checked()) {
                progress.accept(tokenizer.message());
                return null;
            }
            return tokenizer.message();
        } catch (IllegalStateException e) {
            if (!options.force()) {
                throw e;
            }
            return e.getMessage().replace(" (give --force to enable anyway)", "") + "; enabling anyway (--force)";
        }
    }

    /** The vLLM and SGLang Deployments of the context's namespace that match a kubectl label selector ({@code -l}). */
    public static List<String> deploymentsMatching(KubeContext context, String selector) {
        return KubeApi.connect(context).vllmDeploymentNames(selector);
    }

    /**
     * Checks that a ready pod of a model Deployment publishes KV events: through port-forward, its replay
     * endpoint answers or a batch arrives within {@code within}.
     *
     * @return what the pod that answered showed; null when the Deployment has no replicas to ask
     * @throws IllegalStateException when no ready pod does (the message says what each one showed)
     */
    public static PodActivity verify(KubeContext context, String namespace, String deployment, Duration within,
            Consumer<String> progress) {
        KubeContext where = context.inNamespace(namespace);
        if (ModelDeployment.read(where, deployment).replicas() == 0) {
            progress.accept("deployment.apps/" + deployment + " not verified: it is scaled to 0 replicas");
            return null;
        }
        List<PodActivity> seen;
        try (ModelPods pods = ModelPods.find(where, deployment)) {
            seen = pods.probe(within, true);
        }
        for (PodActivity a : seen) {
            if (a.publishes()) {
                progress.accept("deployment.apps/" + deployment + " verified: pod " + a.pod()
                        + (a.batches() > 0 ? " published " + a.batches() + " batch(es)" : " answers on its replay port"));
                return a;
            }
        }
        throw new IllegalStateException("deployment.apps/" + deployment + " does not publish KV events: no ready pod"
                + " answered within " + within.toSeconds() + "s (" + seen.stream().map(a -> a.pod() + ": "
                        + (a.problem() != null ? a.problem() : "no batch, no replay answer")).toList() + ")");
    }

    /**
     * Checks that a ready pod of the model answers vLLM's {@code /tokenize}, where the AIBrix gateway
     * tokenizes prompts (AIBRIX_VLLM_TOKENIZER_ENDPOINT_TEMPLATE, e3e10f9 prefix_cache.go): a pod that does
     * not leaves the gateway on its character tokenizer, and no prefix matches. Says so, as a warning.
     */
    private static void checkTokenize(KubeContext context, Map<String, Object> deployment, Consumer<String> progress) {
        if (deployment == null) {
            return;
        }
        String name = JsonTree.name(deployment);
        String model = Workloads.servedModel(deployment);
        KubeContext where = context.inNamespace(JsonTree.namespace(deployment));
        try (ModelPods pods = ModelPods.find(where, name)) {
            int[] ids = pods.tokenizer().tokenize(model, "kvevents checks that the gateway can tokenize here");
            progress.accept("deployment.apps/" + name + " answers /tokenize (" + ids.length + " tokens): the gateway can"
                    + " tokenize prompts on its pods");
        } catch (RuntimeException e) {
            progress.accept("warning: deployment.apps/" + name + " does not answer /tokenize on its pods (" + e.getMessage()
                    + "): the AIBrix gateway tokenizes there, and falls back to its character tokenizer, with which no"
                    + " prefix matches");
        }
    }

    /**
     * Disables KV event sync for {@code model}: removes what enable added, restores what it replaced and
     * keeps every change made since. The gateway's settings are undone only when no Deployment in any
     * namespace still uses sync.
     *
     * @param gatewayOnly the immediate rollback: only the gateway's sync goes off
     */
    public static MigrationPlan disable(KubeContext context, String model, EnableOptions options, boolean gatewayOnly,
            ApplyOptions apply) {
        return run(context, options, apply.withVerify(null), false, (objects, users) -> DisablePlanner.plan(objects, model,
                options, gatewayOnly, users.users(), users.why()));
    }

    /**
     * Puts back the objects an enable of {@code model} saved in {@code backup} (its {@link ApplyOptions#backupDir()}):
     * each one's spec, labels and annotations become the saved ones, by a JSON patch guarded by the resourceVersion
     * it was planned from (a 409 reads it again). Unlike {@link #disable}, every change made since to those objects
     * goes too: this is for an object a failed rollback left half-changed, or an enable to undo whole. Only the
     * model's objects and the gateway are put back (another model's, in a folder several enables wrote, are left
     * alone); a saved gateway that would turn off the KV event sync another model now uses is refused unless
     * {@link EnableOptions#force()}; an object deleted since is not created again (the error names its file).
     *
     * @return one line per object: {@code deployment.apps/x restored}, or {@code unchanged}
     * @throws IllegalArgumentException when {@code backup} is not a backup of {@code model}
     */
    public static List<String> restore(KubeContext context, String model, Path backup, EnableOptions options,
            ApplyOptions apply) {
        List<BackupRestore.Saved> saved = BackupRestore.files(backup).stream()
                .map(f -> BackupRestore.saved(f, Manifests.read(List.of(f)))).toList();
        BackupRestore.Saved deployment = saved.stream().filter(s -> isModel(s.object(), model)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException(backup + " is not a backup of " + model + ": it holds "
                        + saved.stream().map(s -> s.ref().target()).toList() + ", and no Deployment of " + model));
        String self = deployment.ref().namespace() + "/" + deployment.ref().name(); // as KubeApi.SyncUsers names it
        Consumer<String> progress = apply.progress();
        List<BackupRestore.Saved> ours = BackupRestore.ofModel(saved, deployment.object());
        for (BackupRestore.Saved s : saved) {
            if (!ours.contains(s)) {
                progress.accept(s.ref().target() + " left alone (another model's)");
            }
        }
        KubeApi api = KubeApi.connect(context);
        List<String> lines = new ArrayList<>();
        List<BackupRestore.Saved> gone = new ArrayList<>();
        List<BackupRestore.Saved> left = new ArrayList<>(ours);
        for (int attempt = 1; !left.isEmpty(); attempt++) {
            Map<BackupRestore.Saved, Map<String, Object>> current = new LinkedHashMap<>();
            for (BackupRestore.Saved s : left) {
                Map<String, Object> now = api.get(s.ref());
                if (now == null) {
                    gone.add(s);
                } else {
                    current.put(s, now);
                }
            }
            left.removeAll(gone);
            if (attempt == 1) {
                refuseSharedGateway(api, model, self, options, current);
                for (Map.Entry<BackupRestore.Saved, Map<String, Object>> e : current.entrySet()) {
                    if (apply.dryRun() != DryRun.CLIENT && Boolean.FALSE.equals(api.canI("patch", e.getValue()))) {
                        throw new IllegalStateException("forbidden: you cannot patch " + e.getKey().ref().target()
                                + " in namespace " + e.getKey().ref().namespace() + "; nothing was changed");
                    }
                }
            }
            try {
                for (Map.Entry<BackupRestore.Saved, Map<String, Object>> e : current.entrySet()) {
                    Map<String, Object> now = e.getValue();
                    List<PatchOp> patch = JsonPatchDiff.diff(now, BackupRestore.restored(now, e.getKey().object()));
                    String target = e.getKey().ref().target();
                    if (!patch.isEmpty() && apply.dryRun() != DryRun.CLIENT) {
                        api.patch(now, PatchOp.toJson(patch), apply.dryRun() == DryRun.SERVER);
                    }
                    String line = target + (patch.isEmpty() ? " unchanged" : " restored"
                            + (apply.dryRun() == DryRun.CLIENT ? " (client dry run)"
                            : apply.dryRun() == DryRun.SERVER ? " (server dry run)" : ""));
                    progress.accept(line);
                    lines.add(line);
                    left.remove(e.getKey());
                }
            } catch (KubeApi.ConflictException e) {
                if (attempt == ATTEMPTS) {
                    throw new IllegalStateException(e.getMessage() + "; gave up after " + ATTEMPTS + " attempts; "
                            + (lines.isEmpty() ? "nothing was changed" : "already done: " + lines), e);
                }
                progress.accept(e.getMessage() + "; reading it again (attempt " + (attempt + 1) + " of " + ATTEMPTS + ")");
                pause(attempt);
            } catch (RuntimeException e) {
                throw lines.isEmpty() ? e : new IllegalStateException(e.getMessage() + "; already done: " + lines
                        + "; run it again to finish", e);
            }
        }
        if (!gone.isEmpty()) {
            throw new IllegalStateException(gone.stream().map(s -> s.ref().target() + " is gone and was not created"
                    + " again (kubectl create -f " + s.file() + ")").collect(java.util.stream.Collectors.joining("; "))
                    + (lines.isEmpty() ? "" : "; the others were restored"));
        }
        return lines;
    }

    /** The model's Deployment: its name, or the AIBrix model name it carries (label or annotation, as enable finds it). */
    private static boolean isModel(Map<String, Object> object, String model) {
        return "Deployment".equals(object.get("kind")) && (model.equals(JsonTree.at(object, "metadata", "name"))
                || Workloads.aibrixModelName(object).filter(model::equals).isPresent());
    }

    /**
     * Putting back a gateway saved before sync was on turns it off for every model: refused while another model
     * uses it, unless forced.
     */
    private static void refuseSharedGateway(KubeApi api, String model, String self, EnableOptions options,
            Map<BackupRestore.Saved, Map<String, Object>> current) {
        if (options.force()) {
            return;
        }
        for (Map.Entry<BackupRestore.Saved, Map<String, Object>> e : current.entrySet()) {
            ObjectRef ref = e.getKey().ref();
            // any saved Deployment that runs no engine is the gateway, whatever --gateway-* says now; refused only when
            // putting it back turns sync off
            if (!BackupRestore.isGateway(e.getKey().object()) || !GatewayConfig.of(e.getValue()).kvEventSync()
                    || GatewayConfig.of(e.getKey().object()).kvEventSync()) {
                continue;
            }
            KubeApi.SyncUsers users = api.syncUsers();
            String advice = "; nothing was changed: run disable " + model + " without --restore (it keeps the gateway's"
                    + " sync for the others), or add --force";
            if (users.users() == null) {
                throw new IllegalStateException("cannot tell whether other models use the KV event sync that " + ref.target()
                        + " in the backup predates (" + users.why() + ")" + advice);
            }
            List<String> others = users.users().stream().filter(u -> !u.equals(self)).toList();
            if (!others.isEmpty()) {
                throw new IllegalStateException(ref.target() + " in the backup predates KV event sync, which "
                        + String.join(", ", others) + " now use" + (others.size() == 1 ? "s" : "") + advice);
            }
        }
    }

    /** Plans a change from the objects read and every Deployment that uses sync. */
    private interface Planner {
        Plan plan(List<Map<String, Object>> objects, KubeApi.SyncUsers users);
    }

    /** How often a plan is read and made again when an object changed under it. */
    private static final int ATTEMPTS = 5;

    /**
     * @param undoOnFailure true for enable: a failure after a write undoes this run's writes (exit 3); false for
     *     disable, which is itself an undo and safe to repeat: a failure says what was done and stops
     */
    private static MigrationPlan run(KubeContext context, EnableOptions options, ApplyOptions apply, boolean undoOnFailure,
            Planner planner) {
        KubeApi api = KubeApi.connect(context);
        Consumer<String> progress = apply.progress();
        Map<ObjectRef, Plan.Change> applied = new LinkedHashMap<>();
        Plan plan = null;
        for (int attempt = 1; ; attempt++) {
            List<Map<String, Object>> objects;
            try {
                objects = api.modelObjects(options.gatewayNamespace(), options.gatewayDeployment());
                plan = planner.plan(objects, api.syncUsers());
            } catch (RuntimeException e) {
                if (applied.isEmpty()) {
                    throw e;
                }
                // planning again after a conflict failed (another writer changed what this run relies on)
                String self = plan == null ? null : plan.self();
                throw undoOnFailure ? rolledBack(api, options, apply, self, applied, e) : stopped(applied, e);
            }
            if (apply.dryRun() == DryRun.CLIENT) {
                plan.steps().forEach(s -> progress.accept(s.target() + (s.inPlace() ? " unchanged" : " patched (client dry run)")));
                return new MigrationPlan(plan.withoutKind("Secret"));
            }
            if (attempt == 1) {
                if (apply.rollout() != null && apply.dryRun() == DryRun.NONE) {
                    refusePaused(objects, plan);
                }
                checkPermissions(api, objects, plan);
                if (apply.dryRun() == DryRun.NONE && apply.backupDir() != null && !plan.steps().stream().allMatch(PlanStep::inPlace)) {
                    backup(objects, plan, apply.backupDir());
                }
            }
            try {
                for (PlanStep step : plan.steps()) {
                    if (step.inPlace()) {
                        if (!applied.containsKey(step.object())) {
                            progress.accept(step.target() + " unchanged");
                        }
                        continue;
                    }
                    api.patch(find(objects, step.object()), PatchOp.toJson(step.patch()), apply.dryRun() == DryRun.SERVER);
                    Plan.Change change = change(plan, step.object());
                    applied.merge(step.object(), change, ClusterMigration::merged);
                    progress.accept(step.target() + " patched" + (apply.dryRun() == DryRun.SERVER ? " (server dry run)" : ""));
                }
                break;
            } catch (KubeApi.ConflictException e) {
                if (attempt == ATTEMPTS) {
                    if (applied.isEmpty()) {
                        throw new IllegalStateException(e.getMessage() + "; gave up after " + ATTEMPTS
                                + " attempts (nothing was changed)", e);
                    }
                    throw undoOnFailure ? rolledBack(api, options, apply, plan.self(), applied, e) : stopped(applied, e);
                }
                progress.accept(e.getMessage() + "; reading it again (attempt " + (attempt + 1) + " of " + ATTEMPTS + ")");
                pause(attempt);
            } catch (RuntimeException e) {
                if (applied.isEmpty()) {
                    throw e;
                }
                throw undoOnFailure ? rolledBack(api, options, apply, plan.self(), applied, e) : stopped(applied, e);
            }
        }
        if (apply.rollout() != null && apply.dryRun() == DryRun.NONE && !applied.isEmpty()) {
            try {
                awaitRollouts(api, applied.keySet(), apply.rollout(), progress);
                if (apply.verify() != null) {
                    for (ObjectRef ref : applied.keySet()) {
                        if (ref.kind().equals("Deployment") && !isGateway(ref, options)) {
                            verify(context, ref.namespace(), ref.name(), apply.verify(), progress);
                            checkTokenize(context, api.get(ref), progress);
                        }
                    }
                }
            } catch (RuntimeException e) {
                throw undoOnFailure ? rolledBack(api, options, apply, plan.self(), applied, e) : stopped(applied, e);
            }
        }
        return new MigrationPlan(plan.withoutKind("Secret"));
    }

    /** A disable that failed after some writes: they stand (each is an undo), and running it again finishes. */
    private static IllegalStateException stopped(Map<ObjectRef, Plan.Change> applied, RuntimeException cause) {
        return new IllegalStateException(cause.getMessage() + "; already done: " + applied.keySet().stream()
                .map(ObjectRef::target).toList() + "; run disable again to finish (it changes only what is left)", cause);
    }

    private static boolean isGateway(ObjectRef ref, EnableOptions options) {
        return ref.kind().equals("Deployment") && ref.name().equals(options.gatewayDeployment())
                && options.gatewayNamespace().equals(ref.namespace());
    }

    /** This run's writes to an object over several attempts: the first original of each field, the last value written. */
    private static Plan.Change merged(Plan.Change first, Plan.Change later) {
        List<Ownership.Owned> run = new ArrayList<>(first.run());
        for (Ownership.Owned f : later.run()) {
            if (run.stream().noneMatch(x -> x.path().equals(f.path()))) {
                run.add(f);
            } else {
                run.replaceAll(x -> x.path().equals(f.path())
                        ? new Ownership.Owned(x.path(), x.hadBefore(), x.before(), f.written(), x.created()) : x);
            }
        }
        return new Plan.Change(first.object(), run, first.recordBefore(), first.gateway());
    }

    static Plan.Change change(Plan plan, ObjectRef ref) {
        return plan.changes().stream().filter(c -> c.object().equals(ref)).findFirst()
                .orElse(new Plan.Change(ref, List.of(), java.util.Optional.empty(), false));
    }

    /** A short, growing, jittered pause before reading again: two writers racing should not race again in step. */
    private static void pause(int attempt) {
        try {
            Thread.sleep(java.util.concurrent.ThreadLocalRandom.current().nextLong(20, 60) * attempt);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting to read the objects again", e);
        }
    }

    /**
     * Waits until every patched Deployment has rolled out (all replicas updated and available), as
     * {@code kubectl rollout status} does: by watching it, with a read every few seconds in case the watch
     * ends or is refused.
     */
    static void awaitRollouts(KubeApi api, java.util.Collection<ObjectRef> applied, Duration timeout,
            Consumer<String> progress) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (ObjectRef ref : applied) {
            if (!ref.kind().equals("Deployment")) {
                continue;
            }
            java.util.concurrent.BlockingQueue<Map<String, Object>> seen = new java.util.concurrent.LinkedBlockingQueue<>();
            Map<String, Object> now = api.deployment(ref.namespace(), ref.name());
            String last = null;
            AutoCloseable watch = null;
            try {
                while (true) {
                    if (now == null) {
                        throw new IllegalStateException(ref.target() + " was deleted while it rolled out");
                    }
                    if (rolledOut(now)) {
                        progress.accept(ref.target() + " rolled out");
                        break;
                    }
                    String state = ref.target() + ": " + number(JsonTree.at(now, "status", "updatedReplicas"), 0) + "/"
                            + number(JsonTree.at(now, "spec", "replicas"), 1) + " pods updated";
                    if (!state.equals(last)) {
                        progress.accept(state);
                        last = state;
                    }
                    if (watch == null) {
                        Object rv = JsonTree.at(now, "metadata", "resourceVersion");
                        watch = api.watchDeployment(ref.namespace(), ref.name(), rv == null ? null : String.valueOf(rv),
                                seen::add);
                    }
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new IllegalStateException(ref.target() + " did not roll out within " + timeout.toSeconds() + "s");
                    }
                    Map<String, Object> next = seen.poll(Math.min(left, SAFETY_READ.toNanos()), java.util.concurrent.TimeUnit.NANOSECONDS);
                    now = next != null ? next : api.deployment(ref.namespace(), ref.name());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for " + ref.target(), e);
            } finally {
                closeQuietly(watch);
            }
        }
    }

    /** How often a rollout wait reads the Deployment when its watch says nothing. */
    private static final Duration SAFETY_READ = Duration.ofSeconds(5);

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception ignored) {
                // closing a watch that already ended
            }
        }
    }

    /**
     * Rolled out as {@code kubectl rollout status} decides it (kubectl dee3483a3 pkg/polymorphichelpers/rollout_status.go,
     * DeploymentStatusViewer): nothing is decided until the Deployment's generation is observed (an absent
     * observedGeneration is 0), so that a progress deadline exceeded by an earlier rollout does not fail this one; then
     * every replica updated, no old replica left (a surge pod of the old template is still available), and every
     * updated replica available.
     *
     * @throws IllegalStateException when the Deployment reports that its progress deadline passed
     */
    static boolean rolledOut(Map<String, Object> d) {
        long generation = number(JsonTree.at(d, "metadata", "generation"), 0);
        if (generation > number(JsonTree.at(d, "status", "observedGeneration"), 0)) {
            return false; // "Waiting for deployment spec update to be observed..."
        }
        for (Map<String, Object> c : JsonTree.maps(JsonTree.at(d, "status", "conditions"))) {
            if ("Progressing".equals(c.get("type")) && "ProgressDeadlineExceeded".equals(c.get("reason"))) {
                throw new IllegalStateException("deployment.apps/" + JsonTree.name(d) + " exceeded its progress deadline: "
                        + c.get("message"));
            }
        }
        long updated = number(JsonTree.at(d, "status", "updatedReplicas"), 0);
        Object replicas = JsonTree.at(d, "spec", "replicas");
        return (!(replicas instanceof Number n) || updated >= n.longValue())
                && number(JsonTree.at(d, "status", "replicas"), 0) <= updated
                && number(JsonTree.at(d, "status", "availableReplicas"), 0) >= updated;
    }

    /** True for a Deployment whose rollouts are paused: its controller makes no ReplicaSet for a new template. */
    static boolean paused(Map<String, Object> d) {
        return Boolean.TRUE.equals(JsonTree.at(d, "spec", "paused"));
    }

    /** Why a paused Deployment cannot be waited for, and what to do. */
    static String pausedMessage(String name) {
        return "deployment.apps/" + name + " is paused: it rolls nothing out until it is resumed (kubectl rollout resume"
                + " deployment/" + name + ")";
    }

    private static long number(Object v, long absent) {
        return v instanceof Number n ? n.longValue() : absent;
    }

    /**
     * Refuses before the first write to wait for a paused Deployment whose template the plan changes: its controller
     * makes no ReplicaSet for the new template (it still scales), so the wait would run out its whole timeout.
     */
    private static void refusePaused(List<Map<String, Object>> objects, Plan plan) {
        for (PlanStep step : plan.steps()) {
            if (!step.inPlace() && step.object().kind().equals("Deployment") && paused(find(objects, step.object()))) {
                throw new IllegalStateException(pausedMessage(step.object().name()) + "; nothing was changed: resume it"
                        + " first");
            }
        }
    }

    /** Refuses before the first write when the server says a patch is not allowed (SelfSubjectAccessReview). */
    static void checkPermissions(KubeApi api, List<Map<String, Object>> objects, Plan plan) {
        for (PlanStep step : plan.steps()) {
            if (!step.inPlace()) {
                Map<String, Object> object = find(objects, step.object());
                if (Boolean.FALSE.equals(api.canI("patch", object))) {
                    String resource = KubeApi.resourceName(object);
                    throw new IllegalStateException("forbidden: you cannot patch " + resource + " in namespace "
                            + step.namespace() + " (" + step.target() + "); nothing was changed: ask for RBAC that allows"
                            + " patch on " + resource);
                }
            }
        }
    }

    /**
     * Undoes this run's writes, newest object first, each field only where it still holds what this run
     * wrote; the gateway's settings stay when another model uses sync. A {@link RolledBackException} when every write
     * was undone; a {@link HalfAppliedException} when some could not be; an {@link IllegalStateException} for a server
     * dry run, which stored none.
     */
    static RuntimeException rolledBack(KubeApi api, EnableOptions options, ApplyOptions apply, String self,
            Map<ObjectRef, Plan.Change> applied, RuntimeException cause) {
        if (apply.dryRun() == DryRun.SERVER) {
            // nothing to roll back: a failure, not "rolled back" (exit 1, not 3)
            return new IllegalStateException(cause.getMessage() + " (server dry run: nothing was stored)", cause);
        }
        List<ObjectRef> refs = new ArrayList<>(applied.keySet());
        java.util.Collections.reverse(refs);
        List<String> failures = new ArrayList<>();
        for (ObjectRef ref : refs) {
            Plan.Change change = applied.get(ref);
            try {
                rollBack(api, ref, change, self, options, apply.progress());
            } catch (RuntimeException e) {
                failures.add(ref.target() + ": " + e.getMessage());
            }
        }
        String message = cause.getMessage() + "; rolled back " + (refs.size() - failures.size()) + " object(s)"
                + (failures.isEmpty() ? "" : "; could not roll back " + failures + ": " + restoreAdvice(self, apply));
        // half-applied is a failure, not "verification failed and rolled back" (SPEC §6: exit 1, not 3)
        return failures.isEmpty() ? new RolledBackException(message, cause) : new HalfAppliedException(message, cause);
    }

    /** How to put back what a rollback left: the backup this run wrote, and the command that restores it. */
    private static String restoreAdvice(String self, ApplyOptions apply) {
        if (apply.backupDir() == null || !Files.isDirectory(apply.backupDir())) {
            return "no backup was made: undo them by hand";
        }
        String namespace = self == null || !self.contains("/") ? null : self.substring(0, self.indexOf('/'));
        String name = self == null ? "MODEL" : self.substring(self.indexOf('/') + 1);
        return "put them back with 'kubectl kvevents disable " + name + (namespace == null ? "" : " -n " + namespace)
                + " --restore " + apply.backupDir() + "'";
    }

    private static void rollBack(KubeApi api, ObjectRef ref, Plan.Change change, String self, EnableOptions options,
            Consumer<String> progress) {
        for (int attempt = 1; ; attempt++) {
            Map<String, Object> now = api.get(ref);
            if (now == null) {
                progress.accept(ref.target() + " is gone: nothing to roll back");
                return;
            }
            boolean othersUseSync = false;
            if (change.gateway()) {
                KubeApi.SyncUsers users = api.syncUsers();
                othersUseSync = users.users() == null || users.users().stream().anyMatch(u -> !u.equals(self));
            }
            Map<String, Object> undone = JsonTree.copy(now);
            List<String> kept = DisablePlanner.rollBack(undone, change, self, othersUseSync);
            List<PatchOp> patch = JsonPatchDiff.diff(now, undone);
            try {
                if (!patch.isEmpty()) {
                    api.patch(now, PatchOp.toJson(patch), false);
                }
                progress.accept(ref.target() + " rolled back" + (othersUseSync ? " (its KV event sync stays on: other"
                        + " models use it)" : ""));
                kept.forEach(k -> progress.accept("warning: " + k));
                return;
            } catch (KubeApi.ConflictException e) {
                if (attempt == ATTEMPTS) {
                    throw e;
                }
                pause(attempt);
            }
        }
    }

    private static Map<String, Object> find(List<Map<String, Object>> objects, ObjectRef ref) {
        return objects.stream().filter(ref::matches).findFirst()
                .orElseThrow(() -> new IllegalStateException(ref.target() + " disappeared"));
    }

    static void backup(List<Map<String, Object>> objects, Plan plan, Path dir) {
        try {
            Files.createDirectories(dir);
            for (PlanStep step : plan.steps()) {
                if (step.inPlace()) {
                    continue;
                }
                Map<String, Object> object = find(objects, step.object());
                Path file = dir.resolve(step.namespace() + "_" + step.target().replace('/', '_') + ".yaml");
                Files.deleteIfExists(file);
                Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
                Files.writeString(file, Manifests.write(List.of(object)), StandardCharsets.UTF_8);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the backup in " + dir + ": " + e.getMessage(), e);
        }
    }
}
