package io.kvevents.cli;

import com.google.gson.stream.JsonWriter;
import io.kvevents.sdk.EventStream;
import io.kvevents.sdk.PodMatch;
import io.kvevents.sdk.PrefixIndex;
import io.kvevents.sdk.ProbeRequest;
import io.kvevents.sdk.ProbeResult;
import io.kvevents.sdk.Tokenizer;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents cache-probe}: which pod holds how much of a prompt. */
@Command(name = CacheProbeCommand.NAME,
        mixinStandardHelpOptions = true,
        header = CacheProbeCommand.HEADER,
        description = "Rebuild the prefix index from the pods' events (replay, then live for --settle) and show which"
            + " pod holds how much of each prompt.",
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true,
        footerHeading = "%nExamples:%n",
        footer = {"  # which pod of the model holds most of a prompt, tokenized on one of its pods",
            "  kubectl kvevents cache-probe llama-3-8b -n ml --prompt \"Once upon a time\" --tokenizer pod",
            "",
            "  # token ids against publishers, one JSON object per prompt of the file",
            "  kubectl kvevents cache-probe --endpoint pod-a=tcp://10.0.0.7:5557,model=llama --tokens-file prompts.txt -o json"})
final class CacheProbeCommand implements Callable<Integer> {
    static final String NAME = "cache-probe";
    static final String HEADER = "Show which pod holds how much of a prompt.";

    /** Output formats. */
    enum Format { table, wide, json, heatmap }

    @Spec
    CommandSpec spec;

    @Mixin
    SourceOptions sources;

    @Option(names = "--metrics-addr", paramLabel = "HOST:PORT",
            description = "While it settles, serve Prometheus metrics of every source and the index's resident blocks at"
                    + " http://HOST:PORT/metrics.")
    String metricsAddr;

    @Option(names = "--settle", paramLabel = "D", defaultValue = "2s", converter = DurationConverter.class,
            description = "Keep applying live events this long before probing (default: ${DEFAULT-VALUE}).")
    Duration settle;

    @Option(names = "--tokens", paramLabel = "ID,ID,…", description = "The prompt as token ids.")
    String tokens;

    @Option(names = "--tokens-file", paramLabel = "FILE",
            description = "Prompts as token ids, one per line (comma- or space-separated).")
    Path tokensFile;

    @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt as text (needs --tokenizer).")
    String prompt;

    @Option(names = "--prompt-file", paramLabel = "FILE",
            description = "The prompt as text from a file, byte for byte (needs --tokenizer).")
    Path promptFile;

    @Option(names = "--messages-file", paramLabel = "FILE",
            description = "Chat messages, a JSON array of messages or a whole chat completion request (its rendering"
                    + " settings too) (needs --tokenizer).")
    Path messagesFile;

    @Option(names = "--tokenizer", paramLabel = "URL|pod",
            description = "vLLM's /tokenize endpoint base, e.g. http://10.0.0.7:8000, or pod: /tokenize on one of"
                    + " the model's pods, through port-forward.")
    String tokenizer;

    @Option(names = "--model", paramLabel = "NAME", description = "The model to probe (when the index holds several).")
    String model;

    @Option(names = "--lora", paramLabel = "NAME", description = "Probe under this LoRA adapter.")
    String lora;

    @Option(names = "--cache-salt", paramLabel = "SALT", description = "Probe with this cache salt.")
    String cacheSalt;

    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", defaultValue = "table",
            description = "Output format: ${COMPLETION-CANDIDATES} (wide: a row per data-parallel rank, where the others"
                    + " show a pod's best rank; json: JSON Lines, one object per prompt; heatmap: prompts × pods, each cell"
                    + " the hit ratio as a shade).")
    Format output;

    @Override
    public Integer call() {
        try {
            return probe();
        } finally {
            sources.close();
        }
    }

    private int probe() {
        // the model is a property of each source: the Deployment's served model, or --endpoint …,model=NAME
        Optional<String> served = sources.targets.isEmpty() ? Optional.empty() : sources.pods().servedModel();
        String probed = model != null ? model : served.orElse(null);
        List<int[]> prompts = prompts(probed);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        NoticePrinter notices = new NoticePrinter(err, KvEventsCommand.verbose(spec),
                sources.endpoints);
        try (PrefixIndex index = PrefixIndex.pipelined(served.orElse(PrefixIndex.DEFAULT_MODEL))) {
            index.declareModels(sources.endpoints);
            try (EventStream stream = sources.open("probe");
                    MetricsServer metrics = metricsAddr == null ? null
                            : MetricsServer.start(metricsAddr, stream::stats, index::stats)) {
                index.follow(stream, sources.recordings.isEmpty() ? settle : Duration.ofDays(1), item -> {
                    notices.print(item);
                    notices.checkConnections();
                });
            }
            if (!notices.allRead()) {
                return ExitCodes.FAILURE;
            }
            List<ProbeResult> results = new ArrayList<>();
            for (int[] ids : prompts) {
                ProbeResult r = index.probe(new ProbeRequest(ids, probed, lora, cacheSalt));
                results.add(output == Format.wide ? r : r.perPod());
            }
            if (output == Format.json) {
                results.forEach(r -> out.println(json(r)));
            } else if (output == Format.heatmap) {
                Heatmap.print(results, out);
            } else {
                table(results, out);
            }
            out.flush();
            return ExitCodes.OK;
        }
    }

    /** @param probed the model asked about (--model, else the MODEL Deployment's), or null */
    private List<int[]> prompts(String probed) {
        int given = (tokens != null ? 1 : 0) + (tokensFile != null ? 1 : 0) + (prompt != null ? 1 : 0)
                + (promptFile != null ? 1 : 0) + (messagesFile != null ? 1 : 0);
        if (given != 1) {
            throw CliException.usage(given == 0
                    ? "nothing to probe: give --tokens, --tokens-file, --prompt, --prompt-file or --messages-file"
                    : "give one of --tokens, --tokens-file, --prompt, --prompt-file, --messages-file");
        }
        if (tokens != null) {
            return List.of(Prompts.tokenIds(tokens, "--tokens"));
        }
        if (tokensFile != null) {
            return Prompts.tokenFile(tokensFile);
        }
        if (tokenizer == null) {
            throw CliException.usage("text prompts need --tokenizer URL (vLLM's /tokenize) or --tokenizer pod, or give"
                    + " --tokens");
        }
        if (probed == null) {
            throw CliException.usage("text prompts need --model NAME (or a MODEL Deployment): the tokenizer must know"
                    + " which model's vocabulary");
        }
        Tokenizer t = tokenizer.equals("pod") ? sources.pods().tokenizer() : Tokenizer.vllm(tokenizer);
        if (messagesFile != null) {
            Prompts.Chat chat = Prompts.messages(messagesFile);
            return List.of(t.tokenizeChat(probed, chat.messages(), chat.settings()));
        }
        return List.of(t.tokenize(probed, prompt != null ? prompt : Prompts.text(promptFile)));
    }

    private static void table(List<ProbeResult> results, PrintWriter out) {
        Table t = new Table("PROMPT", "TOKENS", "FULL-BLOCKS", "POD", "MATCHED-BLOCKS", "MATCHED-TOKENS", "HIT-RATIO",
                "GPU-BLOCKS", "BEST");
        for (int i = 0; i < results.size(); i++) {
            ProbeResult r = results.get(i);
            for (PodMatch m : r.pods()) {
                t.row(i + 1, r.promptTokens(), r.fullBlocks(), m.pod(), m.matchedBlocks(), m.matchedTokens(),
                        String.format("%.1f%%", 100 * m.hitRatio()), m.gpuMatchedBlocks(),
                        r.best().contains(m.pod()) ? "*" : "");
            }
        }
        t.print(out);
    }

    /** {@code {"prompt_tokens","block_size","full_blocks","pods":[…],"best":[…]}}. */
    static String json(ProbeResult r) {
        java.io.StringWriter text = new java.io.StringWriter();
        try (JsonWriter w = new JsonWriter(text)) {
            w.beginObject();
            w.name("prompt_tokens").value(r.promptTokens());
            w.name("block_size").value(r.blockSize());
            w.name("full_blocks").value(r.fullBlocks());
            w.name("pods").beginArray();
            for (PodMatch m : r.pods()) {
                w.beginObject();
                w.name("pod").value(m.pod());
                w.name("matched_blocks").value(m.matchedBlocks());
                w.name("matched_tokens").value(m.matchedTokens());
                w.name("hit_ratio").value(m.hitRatio());
                w.name("gpu_matched_blocks").value(m.gpuMatchedBlocks());
                w.endObject();
            }
            w.endArray();
            w.name("best").beginArray();
            for (String pod : r.best()) {
                w.value(pod);
            }
            w.endArray();
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }
}
