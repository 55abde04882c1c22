package io.kvevents.cli;

import com.google.gson.GsonBuilder;
import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.Manifests;
import io.kvevents.sdk.ModelStatus;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents status [MODEL]}: enabled, partial or off, what is missing, what is wrong. */
@Command(name = "status",
        mixinStandardHelpOptions = true,
        header = "Show whether KV event sync is enabled, partial or off, and what is wrong.",
        description = {"Show, per model, whether KV event sync is enabled, partial (and what is missing) or off, and",
            "the problems that keep it from working: seed-style vLLM flags, gateway settings that disagree."},
        sortOptions = false)
final class StatusCommand implements Callable<Integer> {

    /** Output formats. */
    enum Format { table, json, yaml }

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "One model (default: every vLLM Deployment).")
    String model;

    @Option(names = "--local", description = "Read the manifests given with -f instead of a cluster.")
    boolean local;

    @Option(names = {"-f", "--filename"}, paramLabel = "FILE", description = "Manifests for --local (repeatable).")
    List<Path> files = List.of();

    @Mixin
    KubeFlags kube;

    @Mixin
    GatewayOptions gateway;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "Output format: ${COMPLETION-CANDIDATES}.")
    Format output;

    @Override
    public Integer call() {
        EnableOptions options = EnableOptions.defaults().withGateway(gateway.namespace, gateway.deployment);
        List<ModelStatus> statuses;
        if (local) {
            if (files.isEmpty()) {
                throw CliException.usage("--local needs the manifests: -f FILE (repeatable)");
            }
            List<Map<String, Object>> manifests;
            try {
                manifests = Manifests.read(files);
            } catch (IllegalArgumentException e) {
                throw new CliException(ExitCodes.FAILURE, e.getMessage());
            }
            statuses = ModelStatus.of(manifests, model, options);
        } else {
            statuses = ModelStatus.of(kube.toContext(), model, options);
        }
        PrintWriter out = spec.commandLine().getOut();
        switch (output) {
            case json -> out.println(new GsonBuilder().setPrettyPrinting().disableHtmlEscaping().create().toJson(plain(statuses)));
            case yaml -> out.print(Manifests.write(List.of(Map.of("models", plain(statuses)))));
            default -> {
                Table t = new Table("MODEL", "NAMESPACE", "STATE", "MISSING", "PROBLEMS");
                for (ModelStatus s : statuses) {
                    t.row(s.model(), s.namespace() == null ? "-" : s.namespace(), s.state().name().toLowerCase(),
                            s.missing().isEmpty() ? "-" : String.join("; ", s.missing()),
                            s.problems().isEmpty() ? "-" : String.join("; ", s.problems()));
                }
                t.print(out);
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static List<Map<String, Object>> plain(List<ModelStatus> statuses) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ModelStatus s : statuses) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", s.model());
            m.put("namespace", s.namespace());
            m.put("state", s.state().name().toLowerCase());
            m.put("missing", s.missing());
            m.put("problems", s.problems());
            m.put("gateway", s.gateway());
            out.add(m);
        }
        return out;
    }
}
