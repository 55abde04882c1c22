package io.kvevents.cli;

import io.kvevents.sdk.Comparison;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents compare MODEL}: a rollout's two tracks side by side from the engines' own metrics. */
@Command(name = CompareCommand.NAME,
        mixinStandardHelpOptions = true,
        header = CompareCommand.HEADER,
        description = "Put a rollout's two tracks side by side — canary and stable, or green and blue — from the engines'"
            + " own Prometheus metrics, read from each ready pod's /metrics through port-forward at the start and the end"
            + " of --window: prefix-cache hit rate (vllm:prefix_cache_hits / vllm:prefix_cache_queries, the gpu_ names of"
            + " vLLM 0.9-0.10), time to first token (p50 of vllm:time_to_first_token_seconds), and aborted requests"
            + " (vllm:request_success by finished_reason); then the verdict.",
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true,
        footerHeading = "%nExamples:%n",
        footer = {"  # five minutes of traffic on both tracks, then the verdict",
            "  kubectl kvevents compare llama-3-8b -n ml",
            "",
            "  # a shorter look, for a script",
            "  kubectl kvevents compare llama-3-8b -n ml --window 1m -o json"})
final class CompareCommand implements Callable<Integer> {
    static final String NAME = "compare";
    static final String HEADER = "Compare a canary with stable (or green with blue): hit rate, TTFT, errors.";

    /** Output formats. */
    enum Format { table, json }

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "MODEL", description = "The model's Deployment (the stable or blue one).")
    String model;

    @Mixin
    KubeFlags kube;

    @Option(names = "--window", paramLabel = "D", defaultValue = "5m", converter = PositiveDurationConverter.class,
            description = "How long to count (default: ${DEFAULT-VALUE}).")
    Duration window;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "Output format: table or json.")
    Format format;

    @Override
    public Integer call() {
        if (kube.allNamespaces) {
            throw CliException.usage("-A does not apply here: a model's tracks are in one namespace (give -n NAMESPACE)");
        }
        Comparison c = Comparison.of(kube.toContext(), model, window);
        PrintWriter out = spec.commandLine().getOut();
        for (Comparison.Track t : List.of(c.candidate(), c.baseline())) {
            if (!t.unread().isEmpty()) {
                spec.commandLine().getErr().println("warning: left out of the " + t.name() + " side, their /metrics could"
                        + " not be read: " + String.join(", ", t.unread()));
            }
        }
        if (format == Format.json) {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("model", c.model());
            m.put("strategy", c.strategy().label());
            m.put("window_seconds", c.window().toSeconds());
            m.put("tracks", List.of(plain(c.candidate()), plain(c.baseline())));
            m.put("verdict", c.verdict());
            out.println(KubectlJson.pretty().serializeNulls().create().toJson(m));
        } else {
            Table t = new Table("TRACK", "PODS", "PROMPT-TOKENS", "HIT-RATE", "TTFT-P50", "REQUESTS", "ERRORS");
            for (Comparison.Track track : List.of(c.candidate(), c.baseline())) {
                t.row(track.name(), track.pods().size(), Math.round(track.queries()), percent(track.hitRate()),
                        Double.isNaN(track.ttftP50()) ? "-" : Math.round(1000 * track.ttftP50()) + "ms",
                        Math.round(track.requests()), percent(track.errorRate()));
            }
            t.print(out);
            out.println();
            out.println(c.verdict());
        }
        out.flush();
        return ExitCodes.OK;
    }

    private static String percent(double ratio) {
        return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.1f%%", 100 * ratio);
    }

    private static Map<String, Object> plain(Comparison.Track t) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("track", t.name());
        m.put("pods", t.pods());
        m.put("prompt_tokens", t.queries());
        m.put("hit_rate", Double.isNaN(t.hitRate()) ? null : t.hitRate());
        m.put("ttft_p50_seconds", Double.isNaN(t.ttftP50()) ? null : t.ttftP50());
        m.put("requests", t.requests());
        m.put("error_rate", Double.isNaN(t.errorRate()) ? null : t.errorRate());
        return m;
    }
}
