package io.kvevents.sdk;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * How a migration is applied to a cluster (as opposed to {@link EnableOptions}, what it writes).
 *
 * @param dryRun how much to write
 * @param backupDir where the objects are saved (0600) before they change, or null for no backup
 * @param rollout how long to wait for the patched Deployments to roll out, or null not to wait
 * @param verify after the rollout, how long a ready pod may take to show that it publishes, or null not to verify
 * @param progress hears one kubectl-style line per object and step
 */
public record ApplyOptions(ClusterMigration.DryRun dryRun, Path backupDir, Duration rollout, Duration verify,
        Consumer<String> progress) {

    public ApplyOptions {
        Objects.requireNonNull(dryRun, "dryRun");
        Objects.requireNonNull(progress, "progress");
        if (rollout != null && (rollout.isNegative() || rollout.isZero())) {
            throw new IllegalArgumentException("the rollout timeout must be positive, got " + rollout);
        }
    }

    /** Patch for real, no backup, no wait, progress printed to standard output. */
    public static ApplyOptions defaults() {
        return new ApplyOptions(ClusterMigration.DryRun.NONE, null, null, null, System.out::println);
    }

    public ApplyOptions withDryRun(ClusterMigration.DryRun d) {
        return new ApplyOptions(d, backupDir, rollout, verify, progress);
    }

    public ApplyOptions withBackupDir(Path dir) {
        return new ApplyOptions(dryRun, dir, rollout, verify, progress);
    }

    /** Waits for the rollouts, at most {@code timeout}. */
    public ApplyOptions withRollout(Duration timeout) {
        return new ApplyOptions(dryRun, backupDir, timeout, verify, progress);
    }

    /** After the rollouts, checks within {@code within} that a ready pod publishes. */
    public ApplyOptions withVerify(Duration within) {
        return new ApplyOptions(dryRun, backupDir, rollout, within, progress);
    }

    public ApplyOptions withProgress(Consumer<String> p) {
        return new ApplyOptions(dryRun, backupDir, rollout, verify, p);
    }

    @Override
    public String toString() {
        return "ApplyOptions[dryRun=" + dryRun + (backupDir == null ? "" : " backup=" + backupDir)
                + (rollout == null ? "" : " wait=" + rollout) + (verify == null ? "" : " verify=" + verify) + "]";
    }
}
