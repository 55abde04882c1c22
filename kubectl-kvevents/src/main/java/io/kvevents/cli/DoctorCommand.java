package io.kvevents.cli;

import io.kvevents.sdk.Diagnosis;
import io.kvevents.sdk.DoctorReport;
import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.Finding;
import io.kvevents.sdk.Manifests;
import java.io.PrintWriter;
import java.time.Duration;
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

/** {@code kubectl kvevents doctor [MODEL]}: the migration guide's common issues, each checked, with evidence and fix. */
@Command(name = DoctorCommand.NAME,
        mixinStandardHelpOptions = true,
        header = DoctorCommand.HEADER,
        description = "Check a model (or every vLLM or SGLang model of the namespace) and the gateway for the migration"
            + " guide's common issues, each with its evidence and its fix: configuration, flags vLLM rejects, event format"
            + " and version compatibility, block size, labels the gateway subscribes by, ports two sockets would share,"
            + " crash loops and ZeroMQ bind failures (from pod status, logs and events), the replay port, whether each"
            + " pod publishes, the event lag (watched through port-forward for --look), the remote tokenizer (/health and"
            + " /tokenize on a pod of its Service) and the gateway's memory against the index the engines' blocks imply."
            + " A check that cannot run says why. Exits 1 when a check fails.",
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true,
        footerHeading = "%nExamples:%n",
        footer = {"  # one model and the gateway",
            "  kubectl kvevents doctor llama-3-8b -n ml",
            "",
            "  # every model of the namespace, for a script",
            "  kubectl kvevents doctor -n ml -o json",
            "",
            "  # watch the pods longer while requests come in, to measure the event lag",
            "  kubectl kvevents doctor llama-3-8b --look 15s"})
final class DoctorCommand implements Callable<Integer> {
    static final String NAME = "doctor";
    static final String HEADER = "Check a model and the gateway for the guide's common issues, with evidence and fixes.";

    /** Output formats. */
    enum Format { text, json, yaml }

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "One model (default: every vLLM or SGLang Deployment).")
    String model;

    @Mixin
    KubeFlags kube;

    @Mixin
    GatewayOptions gateway;

    @Option(names = "--look", paramLabel = "D", defaultValue = "3s", converter = PositiveDurationConverter.class,
            description = "How long to watch each model's ready pods for live events (default: ${DEFAULT-VALUE}).")
    Duration look;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "text",
            description = "Output format: text, json or yaml.")
    Format format;

    @Override
    public Integer call() {
        EnableOptions options = EnableOptions.defaults().withGateway(gateway.namespace, gateway.deployment);
        DoctorReport report = DoctorReport.examine(kube.toContext(), model, options, look);
        PrintWriter out = spec.commandLine().getOut();
        switch (format) {
            case json -> out.println(KubectlJson.pretty().serializeNulls().create()
                    .toJson(plain(report)));
            case yaml -> out.print(Manifests.write(List.of(plain(report))));
            default -> print(report, out);
        }
        out.flush();
        return report.failed() ? ExitCodes.FAILURE : ExitCodes.OK;
    }

    private void print(DoctorReport report, PrintWriter out) {
        for (Diagnosis d : report.models()) {
            out.println("deployment.apps/" + d.model() + " -n " + d.namespace());
            d.findings().forEach(f -> print(f, out));
            out.println();
        }
        out.println("gateway deployment.apps/" + gateway.deployment + " -n " + gateway.namespace);
        report.gateway().forEach(f -> print(f, out));
        out.println();
        Map<Finding.Result, Long> counts = new LinkedHashMap<>();
        for (Finding f : report.findings()) {
            counts.merge(f.result(), 1L, Long::sum);
        }
        long failed = counts.getOrDefault(Finding.Result.FAIL, 0L);
        out.println((failed == 0 ? "No check failed" : failed + (failed == 1 ? " check failed" : " checks failed"))
                + "; " + counts.getOrDefault(Finding.Result.WARN, 0L) + " warnings, "
                + counts.getOrDefault(Finding.Result.SKIPPED, 0L) + " skipped, "
                + counts.getOrDefault(Finding.Result.PASS, 0L) + " passed.");
    }

    private static void print(Finding f, PrintWriter out) {
        String where = f.subject().startsWith("pod/") ? f.subject() + ": " : "";
        out.printf("  %-4s  %-17s%s%s%n", label(f.result()), f.check(), where, f.evidence());
        if (f.fix() != null) {
            out.printf("  %-4s  %-17sfix: %s%n", "", "", f.fix());
        }
    }

    private static String label(Finding.Result r) {
        return switch (r) {
            case PASS -> "ok";
            case WARN -> "warn";
            case FAIL -> "FAIL";
            case SKIPPED -> "skip";
        };
    }

    private static Map<String, Object> plain(DoctorReport report) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("failed", report.failed());
        List<Object> models = new ArrayList<>();
        for (Diagnosis d : report.models()) {
            Map<String, Object> dm = new LinkedHashMap<>();
            dm.put("model", d.model());
            dm.put("namespace", d.namespace());
            dm.put("failed", d.failed());
            dm.put("findings", d.findings().stream().map(DoctorCommand::plain).toList());
            models.add(dm);
        }
        m.put("models", models);
        m.put("gateway", report.gateway().stream().map(DoctorCommand::plain).toList());
        return m;
    }

    private static Map<String, Object> plain(Finding f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("check", f.check());
        m.put("result", f.result().name());
        m.put("subject", f.subject());
        m.put("evidence", f.evidence());
        m.put("fix", f.fix());
        return m;
    }
}
