package io.kvevents.sdk;

import io.kvevents.internal.kube.OfflinePlanner;
import java.util.List;
import java.util.Map;

/**
 * The changes that turn KV event sync on (or off) for a model (SPEC §7), computed on manifests:
 * one {@link PlanStep} per object, each with its JSON patch, and the objects as they will be. Disable
 * is the exact inverse: enable records every field's original value on the object itself.
 *
 * <pre>{@code
 * var plan = MigrationPlan.enable(Manifests.read(List.of(Path.of("examples/manifests/llama-deployment.yaml"))),
 *         "llama-3-8b", EnableOptions.defaults().withTokenizer("http://tokenizer-service.default:8080"));
 * plan.steps()
 * Manifests.write(plan.result())
 * }</pre>
 */
public final class MigrationPlan {
    private final OfflinePlanner.Outcome outcome;

    private MigrationPlan(OfflinePlanner.Outcome outcome) {
        this.outcome = outcome;
    }

    /**
     * Plans enabling KV event sync for the Deployment named {@code model} among {@code manifests}.
     *
     * @throws IllegalArgumentException when a pre-flight check fails (the message says which and what to do)
     */
    public static MigrationPlan enable(List<Map<String, Object>> manifests, String model, EnableOptions options) {
        return new MigrationPlan(OfflinePlanner.enable(manifests, model, options));
    }

    /**
     * Plans the complete rollback of {@code model}; with {@code gatewayOnly}, the immediate rollback
     * (the gateway stops using the events, the engines keep publishing).
     */
    public static MigrationPlan disable(List<Map<String, Object>> manifests, String model, EnableOptions options,
            boolean gatewayOnly) {
        return new MigrationPlan(OfflinePlanner.disable(manifests, model, options.gatewayNamespace(),
                options.gatewayDeployment(), gatewayOnly));
    }

    /** The objects with every field a plan changed put back from their undo annotation (others unchanged). */
    public static List<Map<String, Object>> restore(List<Map<String, Object>> objects) {
        return OfflinePlanner.restore(objects);
    }

    /** One step per object the plan touches (in place ones included). */
    public List<PlanStep> steps() {
        return outcome.steps();
    }

    /** Every manifest as it will be after the plan. */
    public List<Map<String, Object>> result() {
        return outcome.objects();
    }

    /** This plan with one more warning (something a cluster run found). */
    MigrationPlan withWarning(String warning) {
        List<String> warnings = new java.util.ArrayList<>(outcome.warnings());
        warnings.add(warning);
        return new MigrationPlan(new OfflinePlanner.Outcome(outcome.objects(), outcome.steps(), List.copyOf(warnings)));
    }

    /** Things the user should know (an unknown vLLM version, a gateway not among the manifests). */
    public List<String> warnings() {
        return outcome.warnings();
    }

    /** True when nothing needs to change. */
    public boolean inPlace() {
        return outcome.steps().stream().allMatch(PlanStep::inPlace);
    }

    @Override
    public String toString() {
        return "MigrationPlan" + outcome.steps() + (outcome.warnings().isEmpty() ? "" : " warnings=" + outcome.warnings());
    }
}
