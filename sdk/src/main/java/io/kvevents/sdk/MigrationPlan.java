package io.kvevents.sdk;

import io.kvevents.internal.kube.DisablePlanner;
import io.kvevents.internal.kube.EnablePlanner;
import io.kvevents.internal.kube.Plan;
import io.kvevents.internal.kube.Workloads;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The changes that turn KV event sync on (or off) for a model (docs/migration-guide.md), computed on manifests: one
 * {@link PlanStep} per object, each with its JSON patch, and the objects as they will be. Enable records
 * exactly which fields it wrote and what they held on the object itself; disable undoes those fields
 * only, and keeps every change made since.
 *
 * <pre>{@code
 * var in = Manifests.load(List.of(Path.of("examples/manifests/llama-deployment.yaml")));
 * var plan = MigrationPlan.enable(in.objects(), "llama-3-8b",
 *         EnableOptions.defaults().withTokenizer("http://tokenizer-service.default:8080"));
 * plan.steps()
 * Manifests.write(plan.result(), in.layout())   // what the plan did not change comes back as written
 * }</pre>
 */
public final class MigrationPlan {
    private final Plan plan;

    MigrationPlan(Plan plan) {
        this.plan = plan;
    }

    /**
     * Plans enabling KV event sync for the Deployment named {@code model} among {@code manifests}.
     *
     * @throws IllegalArgumentException when a pre-flight check fails (the message says which and what to do)
     */
    public static MigrationPlan enable(List<Map<String, Object>> manifests, String model, EnableOptions options) {
        return new MigrationPlan(EnablePlanner.plan(manifests, model, options, false, syncUsers(manifests)));
    }

    /**
     * Plans the complete rollback of {@code model}; with {@code gatewayOnly}, the immediate rollback
     * (the gateway stops using the events, the engines keep publishing). The gateway's settings are undone
     * only when no other Deployment among the manifests uses sync.
     */
    public static MigrationPlan disable(List<Map<String, Object>> manifests, String model, EnableOptions options,
            boolean gatewayOnly) {
        return new MigrationPlan(DisablePlanner.plan(manifests, model, options, gatewayOnly, syncUsers(manifests), null));
    }

    /**
     * A canary on manifests: the model's Deployment keeps its template and gives up {@code size} ({@code N%} or
     * {@code N}) of its replicas to {@code NAME-kvevents-canary}, appended with KV events on (see {@link Rollouts});
     * again, on manifests that hold a canary, resizes it.
     */
    public static MigrationPlan canary(List<Map<String, Object>> manifests, String model, String size, EnableOptions options) {
        return Rollouts.onManifests(manifests, model, Rollouts.Strategy.CANARY, size, false, options, syncUsers(manifests))
                .orElseThrow();
    }

    /** A blue-green rollout on manifests: {@code NAME-kvevents-green} appended, complete, with KV events on. */
    public static MigrationPlan blueGreen(List<Map<String, Object>> manifests, String model, EnableOptions options) {
        return Rollouts.onManifests(manifests, model, Rollouts.Strategy.BLUE_GREEN, null, false, options, syncUsers(manifests))
                .orElseThrow();
    }

    /**
     * The step after a rollout's split, on manifests: a canary promoted (the model enabled with its replicas back, the
     * canary's document dropped), a blue-green rollout cut over (blue at 0 replicas); empty when the model's Deployment
     * records no rollout.
     */
    public static java.util.Optional<MigrationPlan> promote(List<Map<String, Object>> manifests, String model,
            EnableOptions options) {
        return Rollouts.onManifests(manifests, model, null, null, false, options, syncUsers(manifests));
    }

    /** A rollout ended on manifests: the model as it was, the second Deployment's document dropped; empty without one. */
    public static java.util.Optional<MigrationPlan> abort(List<Map<String, Object>> manifests, String model,
            EnableOptions options) {
        return Rollouts.onManifests(manifests, model, null, null, true, options, syncUsers(manifests));
    }

    /** The Deployments among the manifests that use sync ({@code namespace/name}). */
    private static Set<String> syncUsers(List<Map<String, Object>> manifests) {
        return Workloads.deployments(manifests).stream().filter(Workloads::usesSync).map(Workloads::qualified)
                .collect(Collectors.toSet());
    }

    /** One step per object the plan touches (in place ones included). */
    public List<PlanStep> steps() {
        return plan.steps();
    }

    /** Every manifest as it will be after the plan. */
    public List<Map<String, Object>> result() {
        return plan.objects();
    }

    /** Things the user should know (an unknown vLLM version, a gateway not among the manifests, edits kept). */
    public List<String> warnings() {
        return plan.warnings();
    }

    /** True when nothing needs to change. */
    public boolean inPlace() {
        return plan.steps().stream().allMatch(PlanStep::inPlace);
    }

    Plan plan() {
        return plan;
    }

    /** This plan with one more warning (something a cluster run found). */
    MigrationPlan withWarning(String warning) {
        return new MigrationPlan(plan.withWarning(warning));
    }

    @Override
    public String toString() {
        return "MigrationPlan" + plan.steps() + (plan.warnings().isEmpty() ? "" : " warnings=" + plan.warnings());
    }
}
