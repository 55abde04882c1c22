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
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;

/** {@code --local -f FILE…}: plan against manifests instead of a cluster, print the result (GitOps). */
final class LocalManifests {
    private static final Gson JSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    /** What to print. */
    enum Format { yaml, json, patch }

    @Option(names = "--local", description = "Transform the manifests given with -f instead of a cluster; print the result.")
    boolean local;

    @Option(names = {"-f", "--filename"}, paramLabel = "FILE",
            description = "Manifests for --local (repeatable): a file, a directory, or - for standard input.")
    List<Path> files = List.of();

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "yaml",
            description = "yaml: the manifests after the change; json: the same as a JSON List; patch: each object's"
                    + " JSON patch (JSON Lines). Against a cluster, given: the objects the change leaves (one, or a"
                    + " List) on stdout and the 'patched' lines on stderr, as kubectl patch -o prints.")
    Format output;

    /** {@code -o} given against a cluster: the changed objects are printed, as {@code kubectl patch -o} prints them. */
    boolean objectsRequested(CommandSpec spec) {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        return !local && parsed != null && parsed.hasMatchedOption("--output");
    }

    /**
     * The objects the plans' steps name, as the last plan that names each leaves it (a gateway every model's plan
     * writes comes once), or their patches: after a cluster run with {@code -o}.
     */
    void printObjects(List<MigrationPlan> plans, PrintWriter out) {
        if (output == Format.patch) {
            printPatches(plans, out);
        } else {
            Map<io.kvevents.sdk.ObjectRef, Map<String, Object>> objects = new LinkedHashMap<>();
            for (MigrationPlan plan : plans) {
                for (PlanStep step : plan.steps()) {
                    plan.result().stream().filter(step.object()::matches).findFirst()
                            .ifPresent(o -> objects.put(step.object(), o));
                }
            }
            List<Map<String, Object>> items = List.copyOf(objects.values());
            Object printed = items.size() == 1 ? items.get(0) : list(items);
            out.print(output == Format.json ? PRETTY.toJson(printed) + "\n" : Manifests.write(List.of(asMap(printed))));
        }
        out.flush();
    }

    private static final Gson PRETTY = KubectlJson.pretty().serializeNulls().create();

    @SuppressWarnings("unchecked")
    private static Map<String, Object> asMap(Object o) {
        return (Map<String, Object>) o;
    }

    /** What kubectl prints for several objects: {@code {apiVersion: v1, items: […], kind: List, metadata: {…}}}. */
    static Map<String, Object> list(List<Map<String, Object>> items) {
        Map<String, Object> list = new LinkedHashMap<>();
        list.put("apiVersion", "v1");
        list.put("items", items);
        list.put("kind", "List");
        list.put("metadata", Map.of("resourceVersion", ""));
        return list;
    }

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
            printPatches(plans, out);
        } else if (output == Format.json) {
            out.println(PRETTY.toJson(list(plans.get(plans.size() - 1).result())));
        } else {
            List<Map<String, Object>> result = plans.get(plans.size() - 1).result();
            out.print(layout == null ? Manifests.write(result) : Manifests.write(result, layout));
        }
        out.flush();
        err.flush();
    }

    /** Each changed object's JSON patch, a JSON line each, in order. */
    private static void printPatches(List<MigrationPlan> plans, PrintWriter out) {
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
    }
}
