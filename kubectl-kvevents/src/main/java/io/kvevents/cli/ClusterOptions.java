package io.kvevents.cli;

import io.kvevents.sdk.ClusterMigration;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** How enable and disable write to a cluster: kubectl's flags, the dry run, the backup. */
final class ClusterOptions {

    @Mixin
    KubeFlags kube;

    @Option(names = "--dry-run", paramLabel = "none|client|server", defaultValue = "none",
            description = "client: print what would change, send no write; server: send the patches with dryRun=All.")
    String dryRun;

    @Option(names = "--backup-dir", paramLabel = "DIR",
            description = "Where the objects are saved (0600) before they change (default: ~/.kvevents/backups/TIMESTAMP).")
    Path backupDir;

    @Option(names = "--wait", description = "Wait for the patched Deployments to roll out (one that does not within"
            + " --timeout makes the whole change roll back, exit 3).")
    boolean waitForRollout;

    @Option(names = "--timeout", paramLabel = "D", defaultValue = "5m", converter = DurationConverter.class,
            description = "How long --wait waits (default: ${DEFAULT-VALUE}).")
    java.time.Duration timeout;

    ClusterMigration.DryRun dryRun() {
        return switch (dryRun) {
            case "none" -> ClusterMigration.DryRun.NONE;
            case "client" -> ClusterMigration.DryRun.CLIENT;
            case "server" -> ClusterMigration.DryRun.SERVER;
            default -> throw CliException.usage("--dry-run takes none, client or server, not '" + dryRun + "'");
        };
    }

    Path backupDir() {
        return backupDir != null ? backupDir : Path.of(System.getProperty("user.home"), ".kvevents", "backups",
                ZonedDateTime.now(ZoneOffset.UTC).format(DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")));
    }
}
