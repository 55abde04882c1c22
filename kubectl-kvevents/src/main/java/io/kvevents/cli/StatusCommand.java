package io.kvevents.cli;

import com.google.gson.GsonBuilder;
import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.KubeContext;
import io.kvevents.sdk.Manifests;
import io.kvevents.sdk.ModelPods;
import io.kvevents.sdk.ModelStatus;
import io.kvevents.sdk.PodActivity;
import java.io.PrintWriter;
import java.nio.file.Path;
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

/** {@code kubectl kvevents status [MODEL]}: enabled, partial or off, what is missing, what is wrong. */
@Command(name = StatusCommand.NAME,
        mixinStandardHelpOptions = true,
        header = StatusCommand.HEADER,
        description = "Show, per model, whether KV event sync is enabled, partial (and what is missing) or off, and"
            + " the problems that keep it from working: seed-style vLLM flags, gateway settings that disagree;"
            + " with --probe, what each ready pod publishes, seen through port-forward (each data-parallel rank"
            + " on its own row with -o wide).",
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true,
        footerHeading = "%nExamples:%n",
        footer = {"  # every model of every namespace",
            "  kubectl kvevents status -A",
            "",
            "  # one model, and what each ready pod publishes",
            "  kubectl kvevents status llama-3-8b -n ml --probe",
            "",
            "  # the Deployments a selector picks, for a script",
            "  kubectl kvevents status -l 'app in (llama,mistral)' -o name"})
final class StatusCommand implements Callable<Integer> {
    static final String NAME = "status";
    static final String HEADER = "Show whether KV event sync is enabled, partial or off, and what is wrong.";

    /** Output formats. */
    enum Format { table, wide, json, yaml, name, jsonpath }

    /** {@code -o FORMAT}, or {@code -o jsonpath=TEMPLATE} as kubectl takes it. */
    record Output(Format format, JsonPathTemplate template) {
    }

    /** Reads {@code -o}: a format's name, or {@code jsonpath=TEMPLATE} (the template checked at parse time). */
    static final class OutputConverter implements picocli.CommandLine.ITypeConverter<Output> {
        @Override
        public Output convert(String value) {
            if (value.startsWith("jsonpath=")) {
                try {
                    return new Output(Format.jsonpath, JsonPathTemplate.parse(value.substring("jsonpath=".length())));
                } catch (IllegalArgumentException e) {
                    throw new picocli.CommandLine.TypeConversionException(e.getMessage());
                }
            }
            for (Format f : Format.values()) {
                if (f != Format.jsonpath && f.name().equalsIgnoreCase(value)) {
                    return new Output(f, null);
                }
            }
            throw new picocli.CommandLine.TypeConversionException("'" + value + "' is not an output format: use table,"
                    + " wide, json, yaml, name or jsonpath=TEMPLATE");
        }
    }

    @Spec
    CommandSpec spec;

    @Parameters(arity = "0..1", paramLabel = "MODEL", description = "One model (default: every vLLM or SGLang Deployment).")
    String model;

    @Option(names = "--local", description = "Read the manifests given with -f instead of a cluster.")
    boolean local;

    @Option(names = {"-f", "--filename"}, paramLabel = "FILE", description = "Manifests for --local (repeatable).")
    List<Path> files = List.of();

    @Mixin
    KubeFlags kube;

    @Mixin
    GatewayOptions gateway;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table", converter = OutputConverter.class,
            completionCandidates = OutputNames.class,
            description = "Output format: table, wide, json, yaml (a kind: List, as kubectl), name (deployment.apps/NAME)"
                    + " or jsonpath=TEMPLATE (kubectl's, e.g. '{.items[*].model}').")
    Output output;

    /** The -o values, for completion. */
    static final class OutputNames extends java.util.ArrayList<String> {
        OutputNames() {
            super(List.of("table", "wide", "json", "yaml", "name", "jsonpath="));
        }
    }

    @Option(names = {"-l", "--selector"}, paramLabel = "SELECTOR",
            description = "Only the models whose Deployment labels match (k=v, k!=v, k in (a,b), k notin (a), k, !k).")
    String selector;

    @Option(names = "--no-headers", description = "Print the tables without their header lines.")
    boolean noHeaders;

    @Option(names = "--probe", description = "Also look at each ready pod through port-forward for --probe-time: the"
            + " age of its last event, whether its replay port answers, the block size it publishes.")
    boolean probe;

    @Option(names = "--probe-time", paramLabel = "D", defaultValue = "3s", converter = PositiveDurationConverter.class,
            description = "How long --probe looks at the pods (default: ${DEFAULT-VALUE}).")
    Duration probeTime;

    @Option(names = {"-w", "--watch"}, description = "After the table, print a model's row again each time its state"
            + " changes, until interrupted or --request-timeout (as kubectl get -w).")
    boolean watch;

    /** How often -w looks again. */
    private static final Duration WATCH_EVERY = Duration.ofSeconds(1);

    @Override
    public Integer call() {
        EnableOptions options = EnableOptions.defaults().withGateway(gateway.namespace, gateway.deployment);
        if (local && probe) {
            throw CliException.usage("--probe looks at running pods: it needs a cluster, not --local");
        }
        if (!local && !files.isEmpty()) {
            throw CliException.usage("-f FILE reads manifests and needs --local (without it status reads the cluster)");
        }
        if (selector != null && model != null) {
            throw CliException.usage("name a MODEL or give -l SELECTOR, not both");
        }
        if (selector != null) {
            try {
                Manifests.deploymentsMatching(List.of(), selector); // parses it: a wrong selector is a usage error
            } catch (IllegalArgumentException e) {
                throw CliException.usage(e.getMessage());
            }
        }
        if (watch && (probe || output.format() != Format.table && output.format() != Format.wide)) {
            throw CliException.usage("-w prints table rows as they change: it takes neither --probe nor -o "
                    + output.format());
        }
        List<ModelStatus> statuses = statuses(options);
        if (watch) {
            return watch(statuses, options);
        }
        Map<ModelStatus, List<PodActivity>> activity = new LinkedHashMap<>();
        Map<ModelStatus, String> probeErrors = new LinkedHashMap<>();
        if (probe) {
            for (ModelStatus s : statuses) {
                try {
                    KubeContext where = kube.toContext().inNamespace(s.namespace());
                    try (ModelPods pods = ModelPods.find(where, s.model())) {
                        activity.put(s, pods.probe(probeTime));
                    }
                } catch (RuntimeException e) {
                    probeErrors.put(s, e.getMessage()); // one model's pods must not hide the others'
                }
            }
        }
        PrintWriter out = spec.commandLine().getOut();
        if (statuses.isEmpty() && !local && output.format() != Format.json && output.format() != Format.yaml
                && output.format() != Format.jsonpath && output.format() != Format.name) {
            // kubectl get: nothing found is a line on stderr and exit 0 from its table printers only; json and yaml
            // print the empty List, name prints nothing (kubectl dee3483a3 pkg/cmd/get/get.go, printGeneric)
            spec.commandLine().getErr().println(ModelStatus.noneFound(kube.toContext()));
            return ExitCodes.OK;
        }
        // kubectl get NAME prints the one object, kubectl get a List (kubectl dee3483a3 pkg/cmd/get/get.go)
        List<Map<String, Object>> items = plain(statuses, activity, probeErrors);
        Map<String, Object> document = model != null && items.size() == 1 ? items.get(0) : LocalManifests.list(items);
        switch (output.format()) {
            case json -> out.println(KubectlJson.pretty().serializeNulls().create().toJson(document));
            case yaml -> out.print(Manifests.write(List.of(document)));
            case name -> statuses.forEach(s -> out.println("deployment.apps/" + s.model()));
            case jsonpath -> out.print(output.template().apply(new GsonBuilder().serializeNulls().create().toJsonTree(document)));
            default -> {
                Table t = table();
                for (ModelStatus s : statuses) {
                    t.row(row(s).toArray());
                }
                t.print(out, !noHeaders);
                if (probe) {
                    out.println();
                    boolean wide = output.format() == Format.wide;
                    Table pods = new Table("MODEL", wide ? "SOURCE" : "POD", "LAST-EVENT", "BATCHES", "BLOCK-SIZE", "PROBLEM");
                    for (ModelStatus s : statuses) {
                        List<PodActivity> rows = activity.getOrDefault(s, List.of());
                        for (PodActivity a : wide ? rows : PodActivity.perPod(rows)) {
                            pods.row(s.model(), a.pod(), a.lastEventText(), a.batches(),
                                    a.blockSize() == null ? "-" : a.blockSize(), a.problem() == null ? "-" : a.problem());
                        }
                        if (probeErrors.containsKey(s)) {
                            pods.row(s.model(), "-", "-", "-", "-", probeErrors.get(s));
                        }
                    }
                    pods.print(out, !noHeaders);
                }
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** Reads the cluster's statuses over one connection; null until the first look (and for --local). */
    private java.util.function.Supplier<List<ModelStatus>> cluster;
    /** Manifests from standard input, read once: it cannot be read again. */
    private List<Map<String, Object>> stdin;

    /** The models' statuses now, read from the cluster or the manifests, filtered by -l. */
    private List<ModelStatus> statuses(EnableOptions options) {
        if (!local) {
            if (cluster == null) {
                cluster = ModelStatus.reader(kube.toContext(), model, selector, options);
            }
            return cluster.get();
        }
        if (files.isEmpty()) {
            throw CliException.usage("--local needs the manifests: -f FILE (repeatable)");
        }
        List<Map<String, Object>> manifests;
        try {
            boolean fromStdin = files.stream().anyMatch(f -> f.toString().equals("-"));
            if (fromStdin && stdin == null) {
                stdin = Manifests.read(files);
            }
            manifests = fromStdin ? stdin : Manifests.read(files);
        } catch (IllegalArgumentException e) {
            throw new CliException(ExitCodes.FAILURE, e.getMessage());
        }
        return selector == null ? ModelStatus.of(manifests, model, options)
                : ModelStatus.matching(manifests, selector, options);
    }

    /** kubectl get -w: the table, then a model's row whenever it changes; ends at --request-timeout or interrupt. */
    private int watch(List<ModelStatus> first, EnableOptions options) {
        if (first.isEmpty() && !local) {
            spec.commandLine().getErr().println(ModelStatus.noneFound(kube.toContext()));
        }
        PrintWriter out = spec.commandLine().getOut();
        Map<String, List<Object>> shown = new LinkedHashMap<>();
        Table t = table();
        for (ModelStatus s : first) {
            shown.put(s.namespace() + "/" + s.model(), row(s));
            t.row(row(s).toArray());
        }
        t.print(out, !noHeaders);
        long end = kube.requestTimeout == null || kube.requestTimeout.isZero() ? Long.MAX_VALUE
                : System.nanoTime() + kube.requestTimeout.toNanos();
        while (System.nanoTime() < end) {
            try {
                Thread.sleep(Math.min(WATCH_EVERY.toMillis(), Math.max(1, (end - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (System.nanoTime() >= end) {
                break;
            }
            Table changed = table();
            boolean any = false;
            for (ModelStatus s : statuses(options)) {
                List<Object> row = row(s);
                if (!row.equals(shown.put(s.namespace() + "/" + s.model(), row))) {
                    changed.row(row.toArray());
                    any = true;
                }
            }
            if (any) {
                changed.print(out, false);
            }
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** The table's columns; {@code -o wide} adds the gateway's KV-event settings as it carries them. */
    private Table table() {
        return wide() ? new Table("MODEL", "NAMESPACE", "STATE", "PODS", "MISSING", "PROBLEMS", "GATEWAY-SETTINGS")
                : new Table("MODEL", "NAMESPACE", "STATE", "PODS", "MISSING", "PROBLEMS");
    }

    private boolean wide() {
        return output.format() == Format.wide;
    }

    private List<Object> row(ModelStatus s) {
        List<Object> row = new ArrayList<>(List.of(s.model(), s.namespace() == null ? "-" : s.namespace(),
                s.state().name().toLowerCase(), s.pods(), s.missing().isEmpty() ? "-" : String.join("; ", s.missing()),
                s.problems().isEmpty() ? "-" : String.join("; ", s.problems())));
        if (wide()) {
            row.add(s.gateway().isEmpty() ? "-" : new java.util.TreeMap<>(s.gateway()).entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(java.util.stream.Collectors.joining(",")));
        }
        return row;
    }

    private List<Map<String, Object>> plain(List<ModelStatus> statuses, Map<ModelStatus, List<PodActivity>> activity,
            Map<ModelStatus, String> probeErrors) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (ModelStatus s : statuses) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", s.model());
            m.put("namespace", s.namespace());
            m.put("state", s.state().name().toLowerCase());
            m.put("pods_ready", s.pods());
            m.put("missing", s.missing());
            m.put("problems", s.problems());
            m.put("gateway", s.gateway());
            if (probe) {
                List<Map<String, Object>> pods = new ArrayList<>();
                List<PodActivity> ranks = activity.getOrDefault(s, List.of());
                for (PodActivity a : PodActivity.perPod(ranks)) {
                    Map<String, Object> p = activity(a);
                    List<Map<String, Object>> itsRanks = new ArrayList<>();
                    for (PodActivity r : ranks) {
                        if (r.podName().equals(a.pod())) {
                            itsRanks.add(activity(r));
                        }
                    }
                    p.put("ranks", itsRanks);
                    pods.add(p);
                }
                m.put("probe", pods);
                m.put("probe_error", probeErrors.get(s));
            }
            out.add(m);
        }
        return out;
    }

    private static Map<String, Object> activity(PodActivity a) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("pod", a.pod());
        p.put("batches", a.batches());
        p.put("last_event_age_seconds", a.lastEventAge() == null ? null : a.lastEventAge().toMillis() / 1000.0);
        p.put("replay_answered", a.replayAnswered());
        p.put("block_size", a.blockSize());
        p.put("problem", a.problem());
        return p;
    }
}
