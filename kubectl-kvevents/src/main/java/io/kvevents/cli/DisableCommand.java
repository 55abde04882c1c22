package io.kvevents.cli;

import io.kvevents.sdk.ApplyOptions;
import io.kvevents.sdk.ClusterMigration;
import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.MigrationPlan;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents disable MODEL}: the exact inverse of enable. */
@Command(name = DisableCommand.NAME,
        mixinStandardHelpOptions = true,
        header = DisableCommand.HEADER,
        description = "Turn KV event sync off for a model: what enable added is removed, what it replaced is put back,"
            + " and every change made since is kept (a replaced field changed since is reported; --force puts"
            + " it back). The gateway's settings go off only when no model in any namespace still uses sync."
            + " --gateway-only: the immediate rollback (sync off in the gateway; the engines keep publishing).",
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true,
        footerHeading = "%nExamples:%n",
        footer = {"  # undo what enable wrote, keeping every later change",
            "  kubectl kvevents disable llama-3-8b -n ml",
            "",
            "  # the guide's immediate rollback: sync off at the gateway only",
            "  kubectl kvevents disable llama-3-8b -n ml --gateway-only",
            "",
            "  # put back the objects an enable saved (a half-applied migration)",
            "  kubectl kvevents disable llama-3-8b -n ml --restore ~/.kvevents/backups/20261201T160000Z"})
final class DisableCommand implements Callable<Integer> {
    static final String NAME = "disable";
    static final String HEADER = "Turn KV event sync off for a model (undo what enable wrote, keep later edits).";

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "The model's Deployment name (or its model.aibrix.ai/name label).")
    String model;

    @Mixin
    LocalManifests manifests;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--gateway-only", description = "Only turn sync off in the gateway; the engines keep publishing.")
    boolean gatewayOnly;

    @Mixin
    GatewayOptions gateway;

    @Mixin
    SkipGatewayOption skipGateway;

    @Option(names = "--force", description = "Also put back the fields enable replaced that were changed since (they are"
            + " kept and reported otherwise); with --restore, also a gateway other models use sync on.")
    boolean force;

    @Option(names = "--restore", paramLabel = "BACKUP", description = "Put back the objects enable saved in BACKUP (its"
            + " --backup-dir, by default ~/.kvevents/backups/TIME): their spec, labels and annotations as saved, every"
            + " change made since included. For a half-applied migration that a rollback could not finish.")
    java.nio.file.Path restore;

    @Override
    public Integer call() {
        EnableOptions options = EnableOptions.defaults().withGateway(gateway.namespace, gateway.deployment).withForce(force)
                .withSkipGateway(skipGateway.skip);
        manifests.checkUsage();
        if (restore != null) {
            return restore(options);
        }
        if (manifests.local && !gatewayOnly) {
            List<Map<String, Object>> current = manifests.read();
            java.util.Optional<MigrationPlan> aborted = MigrationPlan.abort(current, model, options);
            manifests.print(aborted.isPresent() ? aborted.get() : MigrationPlan.disable(current, model, options, false),
                    spec.commandLine().getOut(), spec.commandLine().getErr());
            return ExitCodes.OK;
        }
        if (manifests.local) {
            manifests.print(MigrationPlan.disable(manifests.read(), model, options, gatewayOnly),
                    spec.commandLine().getOut(), spec.commandLine().getErr());
            return ExitCodes.OK;
        }
        boolean objects = manifests.objectsRequested(spec);
        cluster.linesToStderr = objects;
        io.kvevents.sdk.KubeContext context = cluster.kube.toContext();
        if (!gatewayOnly && cluster.dryRun != ClusterMigration.DryRun.NONE && io.kvevents.sdk.Rollouts.of(context, model).isPresent()) {
            throw CliException.usage(model + " is in a " + io.kvevents.sdk.Rollouts.of(context, model).get().strategy().label()
                    + " rollout: disable aborts it, which has no dry run; run it without --dry-run");
        }
        if (!gatewayOnly && cluster.dryRun == ClusterMigration.DryRun.NONE) {
            // a rollback after a cut-over waits for blue (at most --timeout) before green goes
            ApplyOptions apply = cluster.options(spec);
            java.util.Optional<String> aborted;
            aborted = io.kvevents.sdk.Rollouts.abort(context, model, options,
                    apply.rollout() != null ? apply : apply.withRollout(cluster.timeout));
            if (aborted.isPresent()) {
                return ExitCodes.OK; // a canary aborted or a blue-green rollout rolled back, each logged by Rollouts
            }
        }
        try {
            java.util.concurrent.atomic.AtomicReference<MigrationPlan> plan = new java.util.concurrent.atomic.AtomicReference<>();
            int code = cluster.apply(spec, apply -> {
                plan.set(ClusterMigration.disable(context, model, options, gatewayOnly, apply));
                return plan.get();
            });
            if (objects) {
                manifests.printObjects(List.of(plan.get()), spec.commandLine().getOut());
            }
            cluster.log(spec, gateway.namespace, model, gatewayOnly ? "disable --gateway-only" : "disable", "enabled",
                    gatewayOnly ? "gateway sync off" : "off", null);
            return code;
        } catch (RuntimeException e) {
            cluster.log(spec, gateway.namespace, model, gatewayOnly ? "disable --gateway-only" : "disable", "enabled",
                    "off", e);
            throw e;
        }
    }

    /** {@code --restore BACKUP}: the saved objects put back, with a line each. */
    private int restore(EnableOptions options) {
        if (gatewayOnly || manifests.local || manifests.objectsRequested(spec)) {
            throw CliException.usage("--restore puts back objects in the cluster: it takes neither --gateway-only, nor"
                    + " --local, nor -o");
        }
        io.kvevents.sdk.KubeContext context = cluster.kube.toContext();
        String action = "disable --restore " + restore;
        try {
            int code = cluster.apply(spec, apply -> ClusterMigration.restore(context, model, restore, options, apply));
            cluster.log(spec, gateway.namespace, model, action, "enabled", "off", null);
            return code;
        } catch (RuntimeException e) {
            cluster.log(spec, gateway.namespace, model, action, "enabled", "off", e);
            throw e;
        }
    }
}
