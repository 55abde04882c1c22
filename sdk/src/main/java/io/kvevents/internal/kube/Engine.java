package io.kvevents.internal.kube;

import com.google.gson.JsonObject;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The inference engine a container runs, and where vLLM and SGLang differ in what a KV-event set-up reads.
 * Both publish the same ZeroMQ protocol from a {@code --kv-events-config} JSON; they differ in the flag names
 * around it and in their defaults.
 *
 * <p>SGLang facts (python/sglang/srt/server_args.py and disaggregation/kv_events.py, sgl-project/sglang
 * 612d579090db24ec7c47cc5ca6b83e0c649b8c28 and 001067fffe33427bee0ed2f007fb7551a1d76b44): KVEventsConfig has no
 * {@code enable_kv_cache_events} and its {@code publisher} defaults to {@code "null"}; the block is the page
 * ({@code --page-size}, 1 token unless set: one block per token); data parallelism is {@code --dp-size}
 * (alias {@code --data-parallel-size}; {@code --dp} is argparse's abbreviation of it in releases that parse with
 * argparse), each rank on the configured ports + rank (offset_endpoint_port); HTTP on 30000;
 * started as {@code python -m sglang.launch_server} or {@code sglang serve}.
 */
public enum Engine {
    VLLM("vllm", 8000, "--block-size", 16),
    SGLANG("sglang", 30000, "--page-size", 1);

    private final String label;
    private final int httpPort;
    private final String blockFlag;
    private final int blockDefault;

    Engine(String label, int httpPort, String blockFlag, int blockDefault) {
        this.label = label;
        this.httpPort = httpPort;
        this.blockFlag = blockFlag;
        this.blockDefault = blockDefault;
    }

    /**
     * The engine a container runs: the one its image names, else SGLang when its command starts SGLang's
     * server, else vLLM when a word names vLLM; null for any other container.
     */
    public static Engine of(Map<String, Object> container) {
        String image = String.valueOf(container.get("image")).toLowerCase(Locale.ROOT);
        if (image.contains("sglang")) {
            return SGLANG;
        }
        if (image.contains("vllm")) {
            return VLLM;
        }
        List<String> words = new ArrayList<>();
        JsonTree.existing(container, "command").forEach(w -> words.add(String.valueOf(w)));
        JsonTree.existing(container, "args").forEach(w -> words.add(String.valueOf(w)));
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.contains("sglang.launch_server") || w.matches("(?s).*\\bsglang\\s+serve\\b.*")
                    || (w.equals("sglang") || w.endsWith("/sglang")) && i + 1 < words.size() && words.get(i + 1).equals("serve")) {
                return SGLANG;
            }
        }
        return words.stream().anyMatch(w -> w.contains("vllm")) ? VLLM : null;
    }

    /** The value of the AIBrix engine label ({@code model.aibrix.ai/engine}) for pods of this engine. */
    public String label() {
        return label;
    }

    /** {@code vLLM}, {@code SGLang}: for messages. */
    public String displayName() {
        return this == VLLM ? "vLLM" : "SGLang";
    }

    /** The engine's HTTP port: {@code --port}, else its default. */
    public int httpPort(List<String> argv) {
        return EnablePlanner.intFlag(argv, httpPort, "--port");
    }

    /** The flag that sets the tokens per KV block. */
    public String blockFlag() {
        return blockFlag;
    }

    /** Tokens per KV block as the engine reads its flags. */
    public int blockSize(List<String> argv) {
        return Math.max(1, EnablePlanner.intFlag(argv, blockDefault, blockFlag));
    }

    /** How many data-parallel ranks this pod runs, each publishing on its own ports. */
    public int dataParallelRanks(List<String> argv) {
        if (this == SGLANG) {
            return Math.max(1, EnablePlanner.intFlag(argv, 1, "--dp-size", "--data-parallel-size", "--dp"));
        }
        // --data-parallel-size-local of them from --data-parallel-start-rank (several pods), else all of them
        return Math.max(1, EnablePlanner.intFlag(argv, EnablePlanner.intFlag(argv, 1, "--data-parallel-size", "-dp"),
                "--data-parallel-size-local", "-dpl"));
    }

    /** The global rank of this pod's first data-parallel rank. */
    public int firstRank(List<String> argv) {
        return this == SGLANG ? 0 : EnablePlanner.intFlag(argv, 0, "--data-parallel-start-rank", "-dpr");
    }

    /**
     * The names an engine serves its model under, and whether its command line names them ({@code --served-model-name})
     * or they are its model argument, which both engines serve under unless told otherwise (vLLM 5ac26849
     * vllm/config/model.py get_served_model_name, and {@code vllm serve MODEL} sets it, vllm/entrypoints/cli/serve.py;
     * SGLang server_args.py _handle_missing_default_values: served_model_name = model_path). Empty names when the
     * command line names neither.
     */
    public record Served(List<String> names, boolean explicit) {
    }

    /**
     * What the engine in {@code container} serves ({@link Served}).
     *
     * @throws IllegalArgumentException when a shell script holds more than one command
     */
    public static Served served(Map<String, Object> container) {
        List<String> argv = EnablePlanner.engineArgv(container);
        List<String> named = servedModelNames(argv);
        return named.isEmpty() ? new Served(modelArgument(container, argv), false) : new Served(named, true);
    }

    private static List<String> servedModelNames(List<String> argv) {
        List<String> served = new ArrayList<>();
        for (int i = 0; i < argv.size(); i++) {
            String w = argv.get(i);
            if (w.startsWith("--served-model-name=")) {
                served.add(w.substring("--served-model-name=".length()));
            } else if (w.equals("--served-model-name")) {
                for (int j = i + 1; j < argv.size() && !argv.get(j).startsWith("-"); j++) {
                    served.add(argv.get(j));
                }
            }
        }
        return served;
    }

    /** The model argument: {@code --model}, {@code --model-path}, {@code serve MODEL}, or the first of args alone. */
    private static List<String> modelArgument(Map<String, Object> container, List<String> argv) {
        for (String flag : List.of("--model", "--model-path")) {
            String model = Flags.value(argv, flag);
            if (model != null) {
                return List.of(model);
            }
        }
        int serve = argv.indexOf("serve");
        if (serve >= 0 && serve + 1 < argv.size() && !argv.get(serve + 1).startsWith("-")) {
            return List.of(argv.get(serve + 1));
        }
        // args alone go to the image's entrypoint (vllm/vllm-openai: vllm serve), whose first word is the model
        if (container.get("command") == null && ShellScript.locate(container).isEmpty() && !argv.isEmpty()
                && !argv.get(0).startsWith("-")) {
            return List.of(argv.get(0));
        }
        return List.of();
    }

    /** True when a {@code --kv-events-config} turns publishing on for this engine. */
    public boolean publishes(JsonObject config) {
        String publisher = config.has("publisher") && !config.get("publisher").isJsonNull()
                ? config.get("publisher").getAsString() : null;
        if (this == SGLANG) {
            return "zmq".equals(publisher); // no enable switch: the publisher alone decides, and its default is "null"
        }
        // vLLM publishes nothing with the switch off or an explicit "null" publisher (0181ea3 distributed/kv_events.py,
        // EventPublisherFactory.create)
        return !"null".equals(publisher) && config.has("enable_kv_cache_events")
                && config.get("enable_kv_cache_events").getAsBoolean();
    }
}
