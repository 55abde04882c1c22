package io.kvevents.cli;

import io.kvevents.sdk.ApplyOptions;
import io.kvevents.sdk.ClusterMigration;
import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.Manifests;
import io.kvevents.sdk.MigrationPlan;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents enable MODEL}: turn KV event sync on for a model (docs/migration-guide.md). */
@Command(name = EnableCommand.NAME,
        mixinStandardHelpOptions = true,
        header = EnableCommand.HEADER,
        description = "Turn KV event sync on for a model Deployment: vLLM's --kv-events-config, the kv-events and"
            + " kv-replay ports, the labels the gateway watches (Deployment and pod template), the Service"
            + " ports and the gateway settings. Enable twice changes nothing; disable undoes what enable wrote"
            + " and keeps later edits.",
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true,
        footerHeading = "%nExamples:%n",
        footer = {"  # turn sync on for a model, wait for its rollout and check that it publishes",
            "  kubectl kvevents enable llama-3-8b -n ml --tokenizer http://tokenizer.ml:8080 --wait",
            "",
            "  # every model a selector matches, on manifests (GitOps): manifests in, manifests out",
            "  kubectl kvevents enable -l 'tier in (gpu)' --local -f manifests/ > enabled.yaml",
            "",
            "  # what would change, without writing anything",
            "  kubectl kvevents enable llama-3-8b -n ml --dry-run=client"})
final class EnableCommand implements Callable<Integer> {
    static final String NAME = "enable";
    static final String HEADER = "Turn KV event sync on for a model.";

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "The model's Deployment name (or its model.aibrix.ai/name"
            + " label).")
    String model;

    @Option(names = {"-l", "--selector"}, paramLabel = "SELECTOR",
            description = "Instead of MODEL: every Deployment whose labels match (k=v, k!=v, k, !k; comma-separated).")
    String selector;

    @Mixin
    LocalManifests manifests;

    @Mixin
    ClusterOptions cluster;

    @Option(names = "--tokenizer", paramLabel = "URL",
            description = "The gateway's remote tokenizer endpoint, which AIBrix needs set to sync (default: the gateway's own).")
    String tokenizer;

    @Option(names = "--container", paramLabel = "NAME", description = "The vLLM container (default: found by image or command).")
    String container;

    @Option(names = "--pub-port", paramLabel = "PORT", defaultValue = "5557", converter = PortConverter.class, description = "Live events port (default: ${DEFAULT-VALUE}).")
    int pubPort;

    @Option(names = "--replay-port", paramLabel = "PORT", defaultValue = "5558", converter = PortConverter.class,
            description = "Replay port (default: ${DEFAULT-VALUE}).")
    int replayPort;

    @Option(names = "--vllm-args", paramLabel = "STYLE", defaultValue = "auto",
            description = "auto or config: --kv-events-config (the real flag); seed: the migration guide's flags, which"
                    + " vLLM rejects.")
    EnableOptions.VllmArgs vllmArgs;

    @Mixin
    GatewayOptions gateway;

    @Mixin
    SkipGatewayOption skipGateway;

    @Option(names = "--force", description = "Enable even when a pre-flight check refuses: vLLM older than 0.9.0, map"
            + " events to an array-only gateway, another block size on the gateway, a tokenizer that does not answer /health"
            + " and /tokenize.")
    boolean force;

    @Option(names = "--skip-verify", description = "With --wait: do not check, through port-forward, that a ready pod"
            + " of the model publishes (its replay port answers or a batch arrives).")
    boolean skipVerify;

    @Option(names = "--canary", paramLabel = "N%|N",
            description = "Enable on a canary: a second Deployment with KV events takes N%% (or N) of the replicas, the"
                    + " stable one the rest. Again: resizes. Then enable MODEL promotes it; disable MODEL aborts.")
    String canary;

    @Option(names = "--blue-green", description = "Enable on a complete green Deployment beside blue (both serve). Then"
            + " enable MODEL cuts over (blue scaled to 0 and kept); disable MODEL rolls back.")
    boolean blueGreen;

    @Option(names = "--one-at-a-time", description = "With -l: enable each model, wait for its rollout, verify it and"
            + " watch it for --soak before the next; the first failure rolls that model back and stops.")
    boolean oneAtATime;

    @Option(names = "--soak", paramLabel = "D", defaultValue = "10m", converter = PositiveDurationConverter.class,
            description = "With --one-at-a-time: how long each model is watched: no container may restart, and replicas"
                    + " may be short only within the Deployment's availability (default: ${DEFAULT-VALUE}).")
    Duration soak;

    /** How long the verification may look at the pods. */
    static final Duration VERIFY_WITHIN = Duration.ofSeconds(30);

    @Override
    public Integer call() {
        EnableOptions options;
        try {
            options = new EnableOptions(container, pubPort, replayPort, vllmArgs, tokenizer, gateway.namespace,
                    gateway.deployment, force, skipGateway.skip);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        if (vllmArgs == EnableOptions.VllmArgs.SEED) {
            spec.commandLine().getErr().println("warning: --vllm-args=seed writes flags that vLLM does not know: it will"
                    + " exit with \"unrecognized arguments\"");
        }
        if ((model == null) == (selector == null)) {
            throw CliException.usage("name the model: MODEL or -l SELECTOR (one of them)");
        }
        manifests.checkUsage();
        if ((canary != null || blueGreen) && (model == null || canary != null && blueGreen)) {
            throw CliException.usage(model == null ? "--canary and --blue-green take one MODEL, not -l"
                    : "give --canary or --blue-green, not both");
        }
        if (canary != null) {
            try {
                io.kvevents.sdk.Rollouts.canaryReplicas(canary, 1); // a wrong size is a usage error
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
        }
        if (oneAtATime && (selector == null || manifests.local || cluster.dryRun != ClusterMigration.DryRun.NONE)) {
            throw CliException.usage("--one-at-a-time rolls models out on a cluster, one by one: give -l SELECTOR,"
                    + " without --local or --dry-run");
        }
        if (manifests.local) {
            List<Map<String, Object>> current = manifests.read();
            if (model != null) {
                MigrationPlan rollout = canary != null ? MigrationPlan.canary(current, model, canary, options)
                        : blueGreen ? MigrationPlan.blueGreen(current, model, options)
                        : MigrationPlan.promote(current, model, options).orElse(null);
                if (rollout != null) {
                    manifests.print(rollout, spec.commandLine().getOut(), spec.commandLine().getErr());
                    return ExitCodes.OK;
                }
            }
            List<MigrationPlan> plans = new ArrayList<>();
            List<Map<String, Object>> read = current;
            for (String m : model != null ? List.of(model) : matching(() -> Manifests.deploymentsMatching(read, selector),
                    "the manifests")) {
                MigrationPlan plan = MigrationPlan.enable(current, m, options);
                plans.add(plan);
                current = plan.result(); // the next model's plan starts from this one's result
            }
            manifests.print(plans, spec.commandLine().getOut(), spec.commandLine().getErr());
            return ExitCodes.OK;
        }
        if ((canary != null || blueGreen) && cluster.dryRun != ClusterMigration.DryRun.NONE) {
            throw CliException.usage("--canary and --blue-green create a Deployment: they have no dry run");
        }
        boolean objects = manifests.objectsRequested(spec);
        if (objects && (canary != null || blueGreen || oneAtATime)) {
            throw CliException.usage("-o prints the objects a plain enable leaves: not with --canary, --blue-green or"
                    + " --one-at-a-time");
        }
        cluster.linesToStderr = objects;
        io.kvevents.sdk.KubeContext context = cluster.kube.toContext();
        // a rollout's steps always wait (at most --timeout) for the side that grows before the other shrinks
        ApplyOptions rolloutApply = cluster.options(spec).withVerify(skipVerify ? null : VERIFY_WITHIN);
        ApplyOptions stepApply = rolloutApply.rollout() != null ? rolloutApply : rolloutApply.withRollout(cluster.timeout);
        if (canary != null) {
            return cluster.apply(spec, apply -> io.kvevents.sdk.Rollouts.canary(context, model, canary, options, stepApply));
        }
        if (blueGreen) {
            return cluster.apply(spec, apply -> io.kvevents.sdk.Rollouts.blueGreen(context, model, options, stepApply));
        }
        if (model != null && cluster.dryRun != ClusterMigration.DryRun.NONE
                && io.kvevents.sdk.Rollouts.of(context, model).isPresent()) {
            throw CliException.usage(model + " is in a " + io.kvevents.sdk.Rollouts.of(context, model).get().strategy().label()
                    + " rollout: enable promotes it (or cuts it over), which has no dry run; run it without --dry-run");
        }
        if (model != null && cluster.dryRun == ClusterMigration.DryRun.NONE) {
            java.util.Optional<String> promoted;
            try {
                promoted = io.kvevents.sdk.Rollouts.promote(context, model, options, stepApply);
            } catch (ClusterMigration.RolledBackException e) {
                throw new CliException(ExitCodes.ROLLED_BACK, e.getMessage());
            }
            if (promoted.isPresent()) {
                return ExitCodes.OK; // a canary promoted or a blue-green rollout cut over, each logged by Rollouts
            }
        }
        List<String> targets = model != null ? List.of(model)
                : matching(() -> ClusterMigration.deploymentsMatching(cluster.kube.toContext(), selector), "the namespace");
        if (model == null) {
            // a model mid-rollout is promoted by name, never enabled as a plain model behind its canary's back
            List<String> plain = new ArrayList<>();
            for (String t : targets) {
                var rollout = io.kvevents.sdk.Rollouts.of(context, t);
                if (rollout.isPresent()) {
                    spec.commandLine().getErr().println("warning: " + t + " is in a " + rollout.get().strategy().label()
                            + " rollout: left alone (enable " + t + " promotes it)");
                } else {
                    plain.add(t);
                }
            }
            if (plain.isEmpty()) {
                throw new CliException(ExitCodes.FAILURE, "every Deployment -l " + selector + " matches is in a rollout:"
                        + " enable each by name to promote it");
            }
            targets = plain;
        }
        if (oneAtATime) {
            return oneAtATime(targets, options);
        }
        List<String> done = new ArrayList<>();
        List<MigrationPlan> plans = new ArrayList<>();
        for (String target : targets) {
            java.util.concurrent.atomic.AtomicReference<MigrationPlan> plan = new java.util.concurrent.atomic.AtomicReference<>();
            try {
                cluster.apply(spec, apply -> {
                    plan.set(ClusterMigration.enable(cluster.kube.toContext(), target, options,
                            apply.withVerify(skipVerify ? null : VERIFY_WITHIN)));
                    return plan.get();
                });
                cluster.log(spec, gateway.namespace, target, "enable", plan.get().inPlace() ? "enabled" : "not enabled",
                        "enabled", null);
            } catch (RuntimeException e) {
                cluster.log(spec, gateway.namespace, target, "enable", "not enabled", "enabled", e);
                if (!done.isEmpty()) {
                    // each model is its own change: the ones before this stay enabled
                    List<String> after = targets.subList(done.size() + 1, targets.size());
                    spec.commandLine().getErr().println("warning: enabled before this failure: " + String.join(", ", done)
                            + (after.isEmpty() ? "" : "; not attempted: " + String.join(", ", after)));
                }
                throw e;
            }
            done.add(target);
            plans.add(plan.get());
        }
        if (objects) {
            manifests.printObjects(plans, spec.commandLine().getOut());
        }
        if (cluster.rollout() == null && cluster.dryRun == ClusterMigration.DryRun.NONE) {
            spec.commandLine().getErr().println("note: the pods roll out in the background; check that they publish with"
                    + " 'kubectl kvevents status " + (targets.size() == 1 ? targets.get(0) + " " : "") + "--probe'"
                    + " (or enable with --wait, which verifies)");
        }
        return ExitCodes.OK;
    }

    /**
     * The guide's rolling strategy: each model enabled, rolled out, verified and soaked before the next; the first
     * failure rolls that model back (disable) and stops, the ones before staying enabled.
     */
    private int oneAtATime(List<String> targets, EnableOptions options) {
        io.kvevents.sdk.KubeContext context = cluster.kube.toContext();
        ApplyOptions apply = cluster.options(spec).withVerify(skipVerify ? null : VERIFY_WITHIN);
        ApplyOptions waiting = apply.rollout() != null ? apply : apply.withRollout(cluster.timeout);
        List<String> done = new ArrayList<>();
        for (String target : targets) {
            spec.commandLine().getOut().println("== " + target + " (" + (done.size() + 1) + " of " + targets.size() + ")");
            java.util.concurrent.atomic.AtomicBoolean wrote = new java.util.concurrent.atomic.AtomicBoolean();
            try {
                MigrationPlan plan = ClusterMigration.enable(context, target, options, waiting);
                wrote.set(!plan.inPlace());
                plan.warnings().forEach(w -> spec.commandLine().getErr().println("warning: " + w));
                io.kvevents.sdk.Rollouts.soak(context, target, soak, waiting.progress());
                cluster.log(spec, gateway.namespace, target, "enable (one at a time)", "not enabled",
                        "enabled, soaked " + soak.toSeconds() + "s", null);
                done.add(target);
            } catch (RuntimeException e) {
                String undo = "";
                if (!(e instanceof ClusterMigration.RolledBackException) && wrote.get()) {
                    // enabled and rolled out by this run, then failed its soak: disable gives it back as it was
                    try {
                        ClusterMigration.disable(context, target, options, false, apply.withRollout(null));
                        undo = "; rolled back with disable";
                    } catch (RuntimeException undoFailed) {
                        undo = "; disable failed too (" + undoFailed.getMessage() + "): run disable " + target + " to finish";
                    }
                }
                boolean undone = undo.startsWith("; rolled back") || e instanceof ClusterMigration.RolledBackException;
                RuntimeException failure = undone ? new ClusterMigration.RolledBackException(e.getMessage() + undo, e)
                        : new IllegalStateException(e.getMessage() + undo, e);
                cluster.log(spec, gateway.namespace, target, "enable (one at a time)", "not enabled", "enabled", failure);
                List<String> after = targets.subList(done.size() + 1, targets.size());
                throw new CliException(undone ? ExitCodes.ROLLED_BACK : ExitCodes.FAILURE, target + ": " + e.getMessage()
                        + undo + "; enabled before it: "
                        + (done.isEmpty() ? "none" : String.join(", ", done)) + "; not attempted: "
                        + (after.isEmpty() ? "none" : String.join(", ", after)));
            }
        }
        return ExitCodes.OK;
    }

    /** The Deployments the selector matches (at least one). */
    private List<String> matching(Supplier<List<String>> search, String where) {
        try {
            Manifests.deploymentsMatching(List.of(), selector); // parses it: a wrong selector is a usage error
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        List<String> matched = search.get();
        if (matched.isEmpty()) {
            throw new CliException(ExitCodes.FAILURE, "no vLLM or SGLang Deployment in " + where + " matches -l " + selector);
        }
        return matched;
    }
}
