package io.kvevents.cli;

import io.kvevents.sdk.Manifests;
import io.kvevents.sdk.MigrationLog;
import java.io.PrintWriter;
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

/** {@code kubectl kvevents history [MODEL]}: the migration log. */
@Command(name = HistoryCommand.NAME,
        mixinStandardHelpOptions = true,
        header = HistoryCommand.HEADER,
        description = "Show the migration log: every enable, disable, canary, resize, promotion, abort, blue-green"
            + " cut-over and rollback, with when, who (the kubeconfig user), the model, what it changed from and to, and"
            + " the result. Read from the cluster (the kvevents-history ConfigMap in the gateway's namespace, the newest"
            + " 500 changes), or with --local-log from this machine's ~/.kvevents/history.jsonl (every change made here).",
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true,
        footerHeading = "%nExamples:%n",
        footer = {"  # every change to one model",
            "  kubectl kvevents history llama-3-8b",
            "",
            "  # everything this machine did, for a script",
            "  kubectl kvevents history --local-log -o json"})
final class HistoryCommand implements Callable<Integer> {
    static final String NAME = "history";
    static final String HEADER = "Show the migration log: who changed which model, when, from what to what.";

    /** Output formats. */
    enum Format { table, json, yaml }

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "Only this model's changes.")
    String model;

    @Mixin
    KubeFlags kube;

    @Mixin
    GatewayOptions gateway;

    @Option(names = "--local-log", description = "Read this machine's log (~/.kvevents/history.jsonl) instead of the cluster's.")
    boolean localLog;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "Output format: table, json or yaml.")
    Format format;

    @Override
    public Integer call() {
        List<MigrationLog.Entry> entries = localLog ? MigrationLog.readLocal(MigrationLog.localFile(), model)
                : MigrationLog.read(kube.toContext(), gateway.namespace, model);
        PrintWriter out = spec.commandLine().getOut();
        List<Map<String, Object>> plain = entries.stream().map(HistoryCommand::plain).toList();
        switch (format) {
            case json -> out.println(KubectlJson.pretty().serializeNulls().create()
                    .toJson(plain));
            case yaml -> out.print(Manifests.write(List.of(Map.of("entries", plain))));
            default -> {
                if (entries.isEmpty()) {
                    spec.commandLine().getErr().println("No changes recorded" + (model == null ? "" : " for " + model)
                            + (localLog ? " in " + MigrationLog.localFile() : " in configmap/" + MigrationLog.CONFIG_MAP
                            + " -n " + gateway.namespace) + ".");
                    break;
                }
                Table t = new Table("WHEN", "WHO", "NAMESPACE", "MODEL", "ACTION", "FROM", "TO", "RESULT");
                for (MigrationLog.Entry e : entries) {
                    t.row(e.when(), e.who(), e.namespace(), e.model(), e.action(), e.from(), e.to(),
                            e.detail() == null ? e.result() : e.result() + ": " + e.detail());
                }
                t.print(out);
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static Map<String, Object> plain(MigrationLog.Entry e) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("when", e.when());
        m.put("who", e.who());
        m.put("namespace", e.namespace());
        m.put("model", e.model());
        m.put("action", e.action());
        m.put("from", e.from());
        m.put("to", e.to());
        m.put("result", e.result());
        m.put("detail", e.detail());
        return m;
    }
}
