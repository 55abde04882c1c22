package io.kvevents.cli;

import io.kvevents.sdk.ClusterMigration;
import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.MigrationPlan;
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
        description = {"Turn KV event sync off for a model: every field enable changed goes back to what it was; the",
            "gateway's settings too, unless another model still uses sync. --gateway-only: the immediate rollback."},
        sortOptions = false)
final class DisableCommand implements Callable<Integer> {
    static final String NAME = "disable";
    static final String HEADER = "Turn KV event sync off for a model (the exact inverse of enable).";

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

    @Override
    public Integer call() {
        EnableOptions options = EnableOptions.defaults().withGateway(gateway.namespace, gateway.deployment);
        if (manifests.local) {
            manifests.print(MigrationPlan.disable(manifests.read(), model, options, gatewayOnly),
                    spec.commandLine().getOut(), spec.commandLine().getErr());
            return ExitCodes.OK;
        }
        return cluster.apply(spec, progress -> ClusterMigration.disable(cluster.kube.toContext(), model, options,
                gatewayOnly, cluster.dryRun, cluster.backupDir(), cluster.rollout(), progress));
    }
}
