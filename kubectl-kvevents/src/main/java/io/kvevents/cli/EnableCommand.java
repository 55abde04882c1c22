package io.kvevents.cli;

import io.kvevents.sdk.ClusterMigration;
import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.MigrationPlan;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents enable MODEL}: turn KV event sync on for a model (SPEC §7). */
@Command(name = "enable",
        mixinStandardHelpOptions = true,
        header = "Turn KV event sync on for a model.",
        description = {"Turn KV event sync on for a model Deployment: vLLM's --kv-events-config, the kv-events and",
            "kv-replay ports, the labels the gateway watches (Deployment and pod template), the Service ports and",
            "the gateway settings. Enable twice changes nothing; disable puts everything back."},
        sortOptions = false)
final class EnableCommand implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "The model's Deployment name (or its model.aibrix.ai/name label).")
    String model;

    @Mixin
    LocalManifests manifests;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--tokenizer", paramLabel = "URL", description = "The remote tokenizer endpoint the gateway calls.")
    String tokenizer;

    @Option(names = "--container", paramLabel = "NAME", description = "The vLLM container (default: found by image or command).")
    String container;

    @Option(names = "--pub-port", paramLabel = "PORT", defaultValue = "5557", description = "Live events port (default: ${DEFAULT-VALUE}).")
    int pubPort;

    @Option(names = "--replay-port", paramLabel = "PORT", defaultValue = "5558", description = "Replay port (default: ${DEFAULT-VALUE}).")
    int replayPort;

    @Option(names = "--vllm-args", paramLabel = "STYLE", defaultValue = "auto",
            description = "auto or config: --kv-events-config (the real flag); seed: the migration guide's flags, which"
                    + " vLLM rejects.")
    EnableOptions.VllmArgs vllmArgs;

    @Mixin
    GatewayOptions gateway;

    @Option(names = "--force", description = "Enable even when the image's vLLM is older than 0.9.0 or the tokenizer"
            + " does not answer /health.")
    boolean force;

    @Option(names = "--skip-verify", description = "With --wait: do not check, through port-forward, that a ready pod"
            + " of the model publishes (its replay port answers or a batch arrives).")
    boolean skipVerify;

    /** How long the verification may look at the pods. */
    static final Duration VERIFY_WITHIN = Duration.ofSeconds(30);

    @Override
    public Integer call() {
        EnableOptions options;
        try {
            options = new EnableOptions(container, pubPort, replayPort, vllmArgs, tokenizer, gateway.namespace,
                    gateway.deployment, force);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        if (vllmArgs == EnableOptions.VllmArgs.SEED) {
            spec.commandLine().getErr().println("warning: --vllm-args=seed writes flags that vLLM does not know: it will"
                    + " exit with \"unrecognized arguments\"");
        }
        if (manifests.local) {
            manifests.print(MigrationPlan.enable(manifests.read(), model, options), spec.commandLine().getOut(),
                    spec.commandLine().getErr());
            return ExitCodes.OK;
        }
        int status = cluster.apply(spec, progress -> ClusterMigration.enable(cluster.kube.toContext(), model, options,
                cluster.dryRun, cluster.backupDir(), cluster.rollout(), skipVerify ? null : VERIFY_WITHIN, progress));
        if (cluster.rollout() == null && cluster.dryRun == ClusterMigration.DryRun.NONE) {
            spec.commandLine().getErr().println("note: the pods roll out in the background; check that they publish with"
                    + " 'kubectl kvevents status " + model + " --probe' (or enable with --wait, which verifies)");
        }
        return status;
    }
}
