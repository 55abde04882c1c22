package io.kvevents.cli;

import io.kvevents.sdk.Manifests;
import io.kvevents.sdk.Monitoring;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents monitoring rules|dashboard}: the guide's alerts and dashboard, on metric names that exist. */
@Command(name = MonitoringCommand.NAME,
        mixinStandardHelpOptions = true,
        header = MonitoringCommand.HEADER,
        description = "Print the migration guide's monitoring for KV event sync: a PrometheusRule with its four alerts"
            + " (event handling lag, prefix cache hit rate under 50 %, ZeroMQ connection failures, gateway memory over"
            + " 80 %), one when the gateway runs without sync and two on kvevents' own metrics (event lag over 1 s,"
            + " batches lost), or a Grafana dashboard, on vLLM's, the AIBrix gateway's and cAdvisor's metric names.",
        subcommands = {MonitoringCommand.Rules.class, MonitoringCommand.Dashboard.class},
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true,
        footerHeading = "%nExamples:%n",
        footer = {"  # the alerts, for the Prometheus Operator",
            "  kubectl kvevents monitoring rules -n monitoring | kubectl apply -f -",
            "",
            "  # a plain rule file, checked by promtool",
            "  kubectl kvevents monitoring rules -o rulefile > kvevents.rules.yaml && promtool check rules kvevents.rules.yaml",
            "",
            "  # one model's dashboard, for Grafana's import",
            "  kubectl kvevents monitoring dashboard --model llama-3-8b --datasource prometheus > dashboard.json"})
final class MonitoringCommand implements Callable<Integer> {
    static final String NAME = "monitoring";
    static final String HEADER = "Print the alerts and dashboard of KV event sync.";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name what to print: rules or dashboard");
    }

    /** The options both print with. */
    static final class Scope {
        @Option(names = {"-n", "--namespace"}, paramLabel = "NS", defaultValue = "aibrix-system",
                description = "The PrometheusRule's namespace (default: ${DEFAULT-VALUE}).")
        String namespace;

        @Option(names = "--model", paramLabel = "MODEL", description = "Only this served model's engines (default: all).")
        String model;

        @Option(names = "--gateway-namespace", paramLabel = "NS", defaultValue = "aibrix-system",
                description = "The gateway's namespace, for its memory (default: ${DEFAULT-VALUE}).")
        String gatewayNamespace;

        @Option(names = "--gateway-container", paramLabel = "NAME", defaultValue = "gateway-plugin",
                description = "The gateway plugin's container (default: ${DEFAULT-VALUE}).")
        String gatewayContainer;

        Monitoring.Options options(String datasource) {
            return new Monitoring.Options(namespace, model, gatewayNamespace, gatewayContainer, datasource);
        }
    }

    @Command(name = "rules", mixinStandardHelpOptions = true, header = "Print the alerts as a PrometheusRule.",
            description = "The alerts (the migration guide's four, the gateway's sync switch, two on kvevents' metrics) as"
                + " a PrometheusRule (monitoring.coreos.com/v1), or as a plain Prometheus rule file with -o rulefile.")
    static final class Rules implements Callable<Integer> {
        /** Output formats. */
        enum Format { yaml, json, rulefile }

        @Spec
        CommandSpec spec;

        @CommandLine.Mixin
        Scope scope;

        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "yaml",
                description = "yaml or json (a PrometheusRule), or rulefile (groups: as promtool and Prometheus read it).")
        Format output;

        @Override
        public Integer call() {
            Monitoring.Options o = scope.options(null);
            Map<String, Object> doc = output == Format.rulefile ? Monitoring.ruleFile(o) : Monitoring.prometheusRule(o);
            spec.commandLine().getOut().print(output == Format.json
                    ? KubectlJson.pretty().create().toJson(doc) + "\n"
                    : Manifests.write(List.of(doc)));
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
    }

    @Command(name = "dashboard", mixinStandardHelpOptions = true, header = "Print a Grafana dashboard (JSON).",
            description = "A Grafana dashboard: prefix cache hit rate per model and per pod, which prefix index the gateway"
                + " runs, its routing decisions by prefix match, KV event rates, handling time, sequence gaps, replays"
                + " answered, receive failures and the gateway's memory.")
    static final class Dashboard implements Callable<Integer> {
        @Spec
        CommandSpec spec;

        @CommandLine.Mixin
        Scope scope;

        @Option(names = "--datasource", paramLabel = "UID", defaultValue = "prometheus",
                description = "The Grafana Prometheus datasource's uid (default: ${DEFAULT-VALUE}).")
        String datasource;

        @Override
        public Integer call() {
            spec.commandLine().getOut().println(KubectlJson.pretty().create()
                    .toJson(Monitoring.dashboard(scope.options(datasource))));
            spec.commandLine().getOut().flush();
            return ExitCodes.OK;
        }
    }
}
