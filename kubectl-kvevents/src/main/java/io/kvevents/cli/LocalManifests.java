package io.kvevents.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonParser;
import io.kvevents.sdk.Manifests;
import io.kvevents.sdk.MigrationPlan;
import io.kvevents.sdk.PatchOp;
import io.kvevents.sdk.PlanStep;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/** {@code --local -f FILE…}: plan against manifests instead of a cluster, print the result (GitOps). */
final class LocalManifests {
    private static final Gson JSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    /** What to print. */
    enum Format { yaml, patch }

    @Option(names = "--local", description = "Transform the manifests given with -f instead of a cluster; print the result.")
    boolean local;

    @Option(names = {"-f", "--filename"}, paramLabel = "FILE",
            description = "Manifests for --local (repeatable): a file, a directory, or - for standard input.")
    List<Path> files = List.of();

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "yaml",
            description = "yaml: the manifests after the change; patch: each object's JSON patch (JSON Lines).")
    Format output;

    /** Refuses {@code -f} without {@code --local}: planning against the cluster while the user named files would surprise. */
    void checkUsage() {
        if (!local && !files.isEmpty()) {
            throw CliException.usage("-f FILE works on manifests and needs --local (without it the command changes the"
                    + " cluster, which -f would not)");
        }
    }

    /** The documents the objects came in, to print the result in them again. */
    private Manifests.Layout layout;

    List<Map<String, Object>> read() {
        if (files.isEmpty()) {
            throw CliException.usage("--local needs the manifests: -f FILE (repeatable; a directory, or - for stdin)");
        }
        try {
            Manifests.Loaded loaded = Manifests.load(files);
            layout = loaded.layout();
            return loaded.objects();
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.FAILURE, e.getMessage());
        }
    }

    /** Prints the plan: manifests or patches on stdout, a kubectl-style line per object and warnings on stderr. */
    void print(MigrationPlan plan, PrintWriter out, PrintWriter err) {
        print(List.of(plan), out, err);
    }

    /**
     * Prints plans applied one after the other (one per model): each plan's lines and warnings, its patches
     * in order (each relative to the manifests the one before left), or the manifests after the last.
     */
    void print(List<MigrationPlan> plans, PrintWriter out, PrintWriter err) {
        for (MigrationPlan plan : plans) {
            for (PlanStep step : plan.steps()) {
                err.println(step.target() + (step.inPlace() ? " unchanged" : step.summary().equals("created")
                        || step.summary().equals("deleted") ? " " + step.summary() + " (local)" : " configured (local)"));
            }
            plan.warnings().forEach(w -> err.println("warning: " + w));
        }
        if (output == Format.patch) {
            for (MigrationPlan plan : plans) {
                for (PlanStep step : plan.steps()) {
                    if (!step.inPlace()) {
                        Map<String, Object> line = new LinkedHashMap<>();
                        line.put("target", step.target());
                        line.put("namespace", step.namespace());
                        line.put("patch", JsonParser.parseString(PatchOp.toJson(step.patch())));
                        out.println(JSON.toJson(line));
                    }
                }
            }
        } else {
            List<Map<String, Object>> result = plans.get(plans.size() - 1).result();
            out.print(layout == null ? Manifests.write(result) : Manifests.write(result, layout));
        }
        out.flush();
        err.flush();
    }
}
