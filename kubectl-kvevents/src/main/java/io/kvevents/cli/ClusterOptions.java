package io.kvevents.cli;

import io.kvevents.sdk.ApplyOptions;
import io.kvevents.sdk.ClusterMigration;
import io.kvevents.sdk.MigrationPlan;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.function.Consumer;
import java.util.function.Function;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** How enable and disable write to a cluster: kubectl's flags, the dry run, the backup. */
final class ClusterOptions {

    @Mixin
    KubeFlags kube;

    @Spec(Spec.Target.MIXEE)
    CommandSpec mixee;

    ClusterMigration.DryRun dryRun = ClusterMigration.DryRun.NONE;

    /** The objects go to stdout ({@code -o}): the progress lines go to stderr, as kubectl's do then. */
    boolean linesToStderr;

    /**
     * kubectl's {@code --dry-run} (pkg/cmd/util/helpers.go GetDryRunStrategy at dee3483a3): {@code none},
     * {@code client} or {@code server}; alone, or as a boolean, the deprecated spellings kubectl still takes, with its
     * warning.
     */
    @Option(names = "--dry-run", paramLabel = "none|client|server", arity = "0..1", preprocessor = AttachedOnly.class,
            description = "client: print what would change, send no write; server: send the patches with dryRun=All.")
    void dryRun(String value) {
        switch (value.toLowerCase(java.util.Locale.ROOT)) {
            case "none" -> dryRun = ClusterMigration.DryRun.NONE;
            case "client" -> dryRun = ClusterMigration.DryRun.CLIENT;
            case "server" -> dryRun = ClusterMigration.DryRun.SERVER;
            case "unchanged" -> {
                warn("--dry-run is deprecated and can be replaced with --dry-run=client.");
                dryRun = ClusterMigration.DryRun.CLIENT;
            }
            case "1", "t", "true" -> {
                warn("--dry-run=" + value + " is deprecated (boolean value) and can be replaced with --dry-run=client.");
                dryRun = ClusterMigration.DryRun.CLIENT;
            }
            case "0", "f", "false" -> {
                warn("--dry-run=" + value + " is deprecated (boolean value) and can be replaced with --dry-run=none.");
                dryRun = ClusterMigration.DryRun.NONE;
            }
            default -> throw new ParameterException(mixee.commandLine(), "Invalid dry-run value (" + value
                    + "). Must be \"none\", \"server\", or \"client\".");
        }
    }

    /**
     * A value of {@code --dry-run} is only ever attached ({@code --dry-run=client}), as pflag reads a flag with a
     * NoOptDefVal: {@code --dry-run MODEL} is the bare flag and the model.
     */
    static final class AttachedOnly implements CommandLine.IParameterPreprocessor {
        @Override
        public boolean preprocess(java.util.Stack<String> args, CommandSpec commandSpec, CommandLine.Model.ArgSpec argSpec,
                java.util.Map<String, Object> info) {
            if (" ".equals(info.get("separator"))) { // nothing attached: the bare flag, whatever follows
                args.push("unchanged");
            }
            return false; // picocli reads the value from here
        }
    }

    private void warn(String text) {
        mixee.commandLine().getErr().println("warning: " + text);
    }

    @Option(names = "--backup-dir", paramLabel = "DIR",
            description = "Where the objects are saved (0600) before they change (default: ~/.kvevents/backups/TIMESTAMP).")
    Path backupDir;

    @Option(names = "--wait", description = "Wait for the patched Deployments to roll out (one that does not within"
            + " --timeout makes the whole change roll back, exit 3).")
    boolean waitForRollout;

    @Option(names = "--timeout", paramLabel = "D", defaultValue = "5m", converter = PositiveDurationConverter.class,
            description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
    Duration timeout;

    /** Runs a migration against the cluster: a line per object on stdout, warnings on stderr, exit 3 when rolled back. */
    int apply(CommandSpec spec, Function<ApplyOptions, ?> migration) {
        try {
            Object done = migration.apply(options(spec));
            if (done instanceof MigrationPlan plan) {
                plan.warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w));
            }
            return ExitCodes.OK;
        } catch (ClusterMigration.RolledBackException e) {
            throw new CliException(ExitCodes.ROLLED_BACK, e.getMessage());
        }
    }

    /** The apply options of these flags: progress lines on stdout, warnings on stderr. */
    ApplyOptions options(CommandSpec spec) {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Consumer<String> progress = line -> {
            PrintWriter to = line.startsWith("warning: ") || linesToStderr ? err : out;
            to.println(line);
            to.flush();
        };
        return new ApplyOptions(dryRun, backupDir(), rollout(), null, progress);
    }

    /**
     * Records a plain enable or disable in the migration log (the rollouts record their own steps); a dry run changes
     * nothing and records nothing.
     */
    void log(CommandSpec spec, String gatewayNamespace, String model, String action, String from, String to, RuntimeException failure) {
        if (dryRun != ClusterMigration.DryRun.NONE) {
            return;
        }
        io.kvevents.sdk.KubeContext context = kube.toContext();
        String result = failure == null ? "ok" : failure instanceof ClusterMigration.RolledBackException ? "rolled back" : "failed";
        io.kvevents.sdk.MigrationLog.record(context, gatewayNamespace, io.kvevents.sdk.MigrationLog.Entry.now(
                io.kvevents.sdk.MigrationLog.who(context), io.kvevents.sdk.MigrationLog.namespace(context), model, action,
                from, failure == null ? to : from, result,
                failure == null ? null : failure.getMessage()), w -> spec.commandLine().getErr().println("warning: " + w));
    }

    /** How long --wait waits, or null without --wait. */
    Duration rollout() {
        return waitForRollout ? timeout : null;
    }

    Path backupDir() {
        return backupDir != null ? backupDir : io.kvevents.sdk.MigrationLog.localFile().getParent().resolve("backups").resolve(
                ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")));
    }
}
