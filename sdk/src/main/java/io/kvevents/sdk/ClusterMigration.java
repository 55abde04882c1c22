package io.kvevents.sdk;

import io.kvevents.internal.kube.JsonPatchDiff;
import io.kvevents.internal.kube.KubeApi;
import io.kvevents.internal.kube.OfflinePlanner;
import io.kvevents.internal.kube.TokenizerCheck;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * {@link MigrationPlan}s applied to a cluster: read the objects, plan, back up what will change (0600),
 * patch each object with a JSON patch guarded by its resourceVersion, retry the whole plan when an object
 * changed meanwhile, and roll back what was applied when a later patch fails.
 */
public final class ClusterMigration {
    private static final int ATTEMPTS = 3;

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

        RolledBackException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Enables KV event sync for {@code model} in the context's namespace.
     *
     * @param backupDir where the objects are saved before they change (null: no backup)
     * @param progress hears one kubectl-style line per object
     * @throws RolledBackException when a patch failed after others were applied (they were undone)
     */
    public static MigrationPlan enable(KubeContext context, String model, EnableOptions options, DryRun dryRun,
            Path backupDir, Consumer<String> progress) {
        return enable(context, model, options, dryRun, backupDir, null, progress);
    }

    /**
     * Enables and then waits, at most {@code rollout}, for the patched Deployments to roll out; one that
     * does not in time makes the whole change roll back.
     */
    public static MigrationPlan enable(KubeContext context, String model, EnableOptions options, DryRun dryRun,
            Path backupDir, Duration rollout, Consumer<String> progress) {
        return enable(context, model, options, dryRun, backupDir, rollout, null, progress);
    }

    /**
     * Enables, waits for the rollouts and then, within {@code verify}, checks that a ready pod of each
     * patched model Deployment publishes ({@link #verify}); a rollout or a verification that fails makes
     * the whole change roll back.
     *
     * @param verify how long a verification may take, or null not to verify
     */
    public static MigrationPlan enable(KubeContext context, String model, EnableOptions options, DryRun dryRun,
            Path backupDir, Duration rollout, Duration verify, Consumer<String> progress) {
        String unchecked = null;
        if (options.tokenizer() != null) {
            // pre-flight, before anything is written: a gateway without its tokenizer cannot route by prefix
            try {
                TokenizerCheck.Outcome tokenizer = TokenizerCheck.check(KubeApi.connect(context), options.tokenizer(),
                        options.gatewayNamespace());
                if (tokenizer.checked()) {
                    progress.accept(tokenizer.message());
                } else {
                    unchecked = tokenizer.message();
                }
            } catch (IllegalStateException e) {
                if (!options.force()) {
                    throw e;
                }
                unchecked = e.getMessage().replace(" (give --force to enable anyway)", "") + "; enabling anyway (--force)";
            }
        }
        MigrationPlan plan = run(context, options, dryRun, backupDir, rollout, verify, progress,
                objects -> MigrationPlan.enable(objects, model, options));
        return unchecked == null ? plan : plan.withWarning(unchecked);
    }


    /** The vLLM Deployments of the context's namespace that match a kubectl label selector ({@code -l}). */
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
        KubeContext where = new KubeContext(context.kubeconfig(), context.context(), namespace, false);
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
     * Disables KV event sync for {@code model}: the exact inverse of {@link #enable}.
     *
     * @param rollout how long to wait for the patched Deployments to roll out, or null not to wait
     */
    public static MigrationPlan disable(KubeContext context, String model, EnableOptions options, boolean gatewayOnly,
            DryRun dryRun, Path backupDir, Duration rollout, Consumer<String> progress) {
        return run(context, options, dryRun, backupDir, rollout, null, progress,
                objects -> MigrationPlan.disable(objects, model, options, gatewayOnly));
    }

    private static MigrationPlan run(KubeContext context, EnableOptions options, DryRun dryRun, Path backupDir,
            Duration rollout, Duration verify, Consumer<String> progress,
            Function<List<Map<String, Object>>, MigrationPlan> planner) {
        KubeApi api = KubeApi.connect(context);
        for (int attempt = 1; ; attempt++) {
            List<Map<String, Object>> objects = read(api, options);
            MigrationPlan plan = planner.apply(objects);
            if (dryRun == DryRun.CLIENT) {
                plan.steps().forEach(s -> progress.accept(s.target() + (s.inPlace() ? " unchanged" : " patched (client dry run)")));
                return plan;
            }
            checkPermissions(api, objects, plan);
            if (dryRun == DryRun.NONE && backupDir != null && !plan.inPlace()) {
                backup(objects, plan, backupDir);
            }
            List<PlanStep> applied = new ArrayList<>();
            try {
                for (PlanStep step : plan.steps()) {
                    if (step.inPlace()) {
                        progress.accept(step.target() + " unchanged");
                        continue;
                    }
                    api.patch(find(objects, step), PatchOp.toJson(step.patch()), dryRun == DryRun.SERVER);
                    applied.add(step);
                    progress.accept(step.target() + " patched" + (dryRun == DryRun.SERVER ? " (server dry run)" : ""));
                }
                if (rollout != null && dryRun == DryRun.NONE) {
                    awaitRollouts(api, objects, applied, rollout, progress);
                    if (verify != null) {
                        for (PlanStep step : plan.steps()) {
                            if (isModelDeployment(step, options)) {
                                verify(context, step.namespace(), step.target().substring(step.target().indexOf('/') + 1),
                                        verify, progress);
                            }
                        }
                    }
                }
                return plan;
            } catch (KubeApi.ConflictException e) {
                if (!applied.isEmpty()) {
                    rollBack(api, options, applied, dryRun, progress);
                    throw new RolledBackException(e.getMessage() + "; rolled back " + applied.size() + " object(s)", e);
                }
                if (attempt == ATTEMPTS) {
                    throw new IllegalStateException(e.getMessage() + "; gave up after " + ATTEMPTS
                            + " attempts (nothing was changed)", e);
                }
                progress.accept(e.getMessage() + "; reading it again (attempt " + (attempt + 1) + " of " + ATTEMPTS + ")");
            } catch (RuntimeException e) {
                if (applied.isEmpty()) {
                    throw e;
                }
                rollBack(api, options, applied, dryRun, progress);
                throw new RolledBackException(e.getMessage() + "; rolled back " + applied.size() + " object(s)", e);
            }
        }
    }

    private static boolean isModelDeployment(PlanStep step, EnableOptions options) {
        return step.target().startsWith("deployment.apps/")
                && !(step.target().equals("deployment.apps/" + options.gatewayDeployment())
                        && options.gatewayNamespace().equals(step.namespace()));
    }

    /** Waits until every patched Deployment has rolled out: all replicas updated and available. */
    private static void awaitRollouts(KubeApi api, List<Map<String, Object>> objects, List<PlanStep> applied,
            Duration timeout, Consumer<String> progress) {
        long deadline = System.nanoTime() + timeout.toNanos();
        for (PlanStep step : applied) {
            Map<String, Object> before = find(objects, step);
            if (!"Deployment".equals(before.get("kind"))) {
                continue;
            }
            String name = String.valueOf(OfflinePlanner.at(before, "metadata", "name"));
            while (true) {
                Map<String, Object> now = api.deployment(step.namespace(), name);
                if (now != null && rolledOut(now)) {
                    progress.accept(step.target() + " rolled out");
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(step.target() + " did not roll out within " + timeout.toSeconds() + "s");
                }
                try {
                    Thread.sleep(250);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for " + step.target(), e);
                }
            }
        }
    }

    private static boolean rolledOut(Map<String, Object> d) {
        long replicas = number(OfflinePlanner.at(d, "spec", "replicas"), 1);
        long generation = number(OfflinePlanner.at(d, "metadata", "generation"), 0);
        return number(OfflinePlanner.at(d, "status", "observedGeneration"), generation) >= generation
                && number(OfflinePlanner.at(d, "status", "updatedReplicas"), 0) >= replicas
                && number(OfflinePlanner.at(d, "status", "availableReplicas"), 0) >= replicas;
    }

    private static long number(Object v, long absent) {
        return v instanceof Number n ? n.longValue() : absent;
    }

    /** Refuses before the first write when the server says a patch is not allowed (SelfSubjectAccessReview). */
    private static void checkPermissions(KubeApi api, List<Map<String, Object>> objects, MigrationPlan plan) {
        for (PlanStep step : plan.steps()) {
            if (!step.inPlace()) {
                Map<String, Object> object = find(objects, step);
                if (Boolean.FALSE.equals(api.canI("patch", object))) {
                    String resource = KubeApi.resourceName(object);
                    throw new IllegalStateException("forbidden: you cannot patch " + resource + " in namespace "
                            + step.namespace() + " (" + step.target() + "); nothing was changed: ask for RBAC that allows"
                            + " patch on " + resource);
                }
            }
        }
    }

    private static List<Map<String, Object>> read(KubeApi api, EnableOptions options) {
        return api.modelObjects(options.gatewayNamespace(), options.gatewayDeployment());
    }

    /** Undoes applied steps: each object's fields go back to what its undo annotation recorded. */
    private static void rollBack(KubeApi api, EnableOptions options, List<PlanStep> applied, DryRun dryRun,
            Consumer<String> progress) {
        if (dryRun == DryRun.SERVER) {
            return; // nothing was stored
        }
        List<Map<String, Object>> now = read(api, options);
        for (PlanStep step : applied) {
            Map<String, Object> object = find(now, step);
            List<Map<String, Object>> restored = MigrationPlan.restore(List.of(object));
            var patch = JsonPatchDiff.diff(object, restored.get(0));
            if (!patch.isEmpty()) {
                api.patch(object, PatchOp.toJson(patch), false);
                progress.accept(step.target() + " rolled back");
            }
        }
    }

    private static Map<String, Object> find(List<Map<String, Object>> objects, PlanStep step) {
        return objects.stream().filter(o -> OfflinePlanner.target(o).equals(step.target())
                && java.util.Objects.equals(OfflinePlanner.at(o, "metadata", "namespace"), step.namespace()))
                .findFirst().orElseThrow(() -> new IllegalStateException(step.target() + " disappeared"));
    }

    private static void backup(List<Map<String, Object>> objects, MigrationPlan plan, Path dir) {
        try {
            Files.createDirectories(dir);
            for (PlanStep step : plan.steps()) {
                if (step.inPlace()) {
                    continue;
                }
                Map<String, Object> object = find(objects, step);
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
