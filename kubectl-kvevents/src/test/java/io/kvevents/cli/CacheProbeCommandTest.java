package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.sun.net.httpserver.HttpServer;
import io.kvevents.cli.CliHarness.Result;
import io.kvevents.sdk.SimulatedCluster;
import io.kvevents.sdk.Simulation;
import io.kvevents.sdk.SourceSpec;
import io.kvevents.sdk.TraceRequest;
import io.kvevents.sdk.WireFormat;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class CacheProbeCommandTest {
    static final String TWO_PODS = TailCommandTest.TWO_PODS;
    static final Path TRACE = TailCommandTest.EXAMPLES.resolve("traces/mooncake-conversation-trace.jsonl");

    @TempDir
    Path dir;

    private static String ids(int from, int count) {
        return IntStream.range(from, from + count).mapToObj(Integer::toString).collect(Collectors.joining(","));
    }

    @Test
    void aRecordingWithAGapAndARestartProbesToWhatEachPodHolds() {
        // pod-a: blocks 0..9, block 1 evicted at seq 4 -> a run of 1; pod-b: restarted, then blocks 0..2 -> 3
        Result r = CliHarness.run("cache-probe", "--from", TWO_PODS, "--tokens", ids(0, 160));
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.outLines();
        assertEquals("PROMPT   TOKENS   FULL-BLOCKS   POD     MATCHED-BLOCKS   MATCHED-TOKENS   HIT-RATIO   GPU-BLOCKS   BEST",
                lines.get(0));
        assertTrue(lines.get(1).matches("1 +160 +10 +pod-a +1 +16 +10\\.0% +1"), lines.get(1));
        assertTrue(lines.get(2).matches("1 +160 +10 +pod-b +3 +48 +30\\.0% +3 +\\*"), lines.get(2));
        assertTrue(r.err().contains("warning: pod-b: publisher restarted"), r.err());
    }

    @Test
    void aHeatmapShadesEachPromptAndPodByItsHitRatio() throws IOException {
        // Issue 16: prompts down, pods across; pod-a holds 1 of 3 blocks of the first prompt (33 %: ▒), pod-b all (█)
        Path prompts = dir.resolve("prompts.txt");
        Files.writeString(prompts, ids(0, 48) + "\n" + ids(5000, 48) + "\n");
        Result r = CliHarness.run("cache-probe", "--from", TWO_PODS, "--tokens-file", prompts.toString(), "-o", "heatmap");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(List.of("         A  B", "prompt 1 ▒ [█]", "prompt 2 ·  ·", "",
                "· 0 %   ░ ≤ 25 %   ▒ ≤ 50 %   ▓ ≤ 75 %   █ ≤ 100 %   [ ] the prompt's best pod",
                "A   pod-a                          mean hit ratio  16.7%",
                "B   pod-b                          mean hit ratio  50.0%"), r.outLines());
    }

    @Test
    void jsonLinesGiveOneObjectPerPromptOfTheTokensFile() throws IOException {
        Path prompts = dir.resolve("prompts.txt");
        Files.writeString(prompts, ids(0, 48) + "\n\n" + ids(0, 40).replace(',', ' ') + "\n");
        Result r = CliHarness.run("cache-probe", "--from", TWO_PODS, "--tokens-file", prompts.toString(), "-o", "json");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(2, r.outLines().size());
        assertEquals("{\"prompt_tokens\":48,\"block_size\":16,\"full_blocks\":3,\"pods\":["
                + "{\"pod\":\"pod-a\",\"matched_blocks\":1,\"matched_tokens\":16,\"hit_ratio\":0.3333333333333333,\"gpu_matched_blocks\":1},"
                + "{\"pod\":\"pod-b\",\"matched_blocks\":3,\"matched_tokens\":48,\"hit_ratio\":1.0,\"gpu_matched_blocks\":3}],"
                + "\"best\":[\"pod-b\"]}", r.outLines().get(0));
        JsonObject second = JsonParser.parseString(r.outLines().get(1)).getAsJsonObject();
        assertEquals(40, second.get("prompt_tokens").getAsInt());
        assertEquals(2, second.get("full_blocks").getAsInt());
    }

    @Test
    void simulatedPodsWithHistoryOnlyInReplayDroppedMessagesAndARestartProbeToWhatTheyHold() {
        Simulation.Config config = new Simulation.Config(3, 4096, 16, 7);
        List<TraceRequest> trace = TraceRequest.read(TRACE, 60);
        try (SimulatedCluster cluster = SimulatedCluster.start(config, "m", WireFormat.of(WireFormat.Events.ARRAY,
                WireFormat.Hashes.BYTES), Simulation.Policy.ROUND_ROBIN)) {
            for (int i = 0; i < 40; i++) {
                cluster.serve(trace.get(i)); // history: only reachable by replay
            }
            cluster.restart("sim-pod-1");
            cluster.dropLive("sim-pod-2", 3);
            for (int i = 40; i < 60; i++) {
                cluster.serve(trace.get(i));
            }
            cluster.flush();
            List<String> args = new ArrayList<>(List.of("cache-probe", "--settle", "3s", "-o", "json", "--tokens-file",
                    writePrompts(trace.subList(30, 60)).toString()));
            for (SourceSpec s : cluster.endpoints()) {
                args.add("--endpoint");
                args.add(s.toString());
            }
            Result r = CliHarness.run(args.toArray(String[]::new));
            assertEquals(0, r.exitCode(), r.err());
            assertEquals(30, r.outLines().size());
            int nonZero = 0;
            for (int p = 0; p < 30; p++) {
                JsonObject o = JsonParser.parseString(r.outLines().get(p)).getAsJsonObject();
                int[] prompt = trace.get(30 + p).tokens();
                for (var pod : o.getAsJsonArray("pods")) {
                    String name = pod.getAsJsonObject().get("pod").getAsString();
                    int matched = pod.getAsJsonObject().get("matched_blocks").getAsInt();
                    assertEquals(cluster.cachedPrefixBlocks(name, prompt), matched, "prompt " + p + " " + name);
                    nonZero += matched > 0 ? 1 : 0;
                }
            }
            assertTrue(nonZero > 10, "the probe should find cached prefixes, found " + nonZero);
        }
    }

    private Path writePrompts(List<TraceRequest> requests) {
        Path file = dir.resolve("trace-prompts.txt");
        try {
            Files.write(file, requests.stream().map(r -> IntStream.of(r.tokens()).mapToObj(Integer::toString)
                    .collect(Collectors.joining(","))).toList());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return file;
    }

    @Test
    void textPromptsAreTokenizedByVllmsTokenizeEndpoint() throws IOException {
        AtomicReference<String> body = new AtomicReference<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/tokenize", exchange -> {
            body.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] answer = ("{\"count\":48,\"max_model_len\":4096,\"tokens\":[" + ids(0, 48) + "]}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            Result r = CliHarness.run("cache-probe", "--from", TWO_PODS, "--prompt", "Once upon a time",
                    "--tokenizer", url, "--model", "demo-model", "-o", "json");
            assertEquals(0, r.exitCode(), r.err());
            assertEquals("{\"model\":\"demo-model\",\"prompt\":\"Once upon a time\",\"add_special_tokens\":true}", body.get());
            assertEquals(48, JsonParser.parseString(r.out()).getAsJsonObject().get("prompt_tokens").getAsInt());

            Path chat = dir.resolve("chat.json");
            Files.writeString(chat, "[{\"role\":\"user\",\"content\":\"hi\"}]");
            r = CliHarness.run("cache-probe", "--from", TWO_PODS, "--messages-file", chat.toString(),
                    "--tokenizer", url, "--model", "demo-model", "-o", "json");
            assertEquals(0, r.exitCode(), r.err());
            assertEquals("{\"model\":\"demo-model\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],"
                    + "\"add_generation_prompt\":true,\"add_special_tokens\":false}", body.get());
        } finally {
            server.stop(0);
        }
    }

    /**
     * Against vLLM's HTTP stack (uvicorn on httptools, {@code vllm_metrics.py}): a text prompt is tokenized, and an
     * error is vLLM's ErrorResponse {@code {"error":{"message",…}}} said as its message. Found in review: the JDK
     * client's default HTTP/2 upgrade offer made every real engine answer 400.
     */
    @Test
    void tokenizerErrorsAreOneLineWithTheServersMessage() {
        try (io.kvevents.testing.VllmMetricsPeer engine = io.kvevents.testing.VllmMetricsPeer.start("--model", "demo-model")) {
            String url = "http://127.0.0.1:" + engine.port();
            Result ok = CliHarness.run("cache-probe", "--from", TWO_PODS, "--prompt", "Once upon a time", "--tokenizer", url,
                    "--model", "demo-model", "-o", "json");
            assertEquals(0, ok.exitCode(), ok.err());
            assertEquals(5, JsonParser.parseString(ok.out()).getAsJsonObject().get("prompt_tokens").getAsInt(), ok.out());
            Result r = CliHarness.run("cache-probe", "--from", TWO_PODS, "--prompt", "hi", "--tokenizer", url,
                    "--model", "x");
            assertEquals(1, r.exitCode());
            assertEquals("error: tokenizer at " + url + "/tokenize answered 404: The model `x` does not exist.",
                    r.errLines().get(r.errLines().size() - 1));
        }
        Result down = CliHarness.run("cache-probe", "--from", TWO_PODS, "--prompt", "hi", "--tokenizer",
                "http://127.0.0.1:1", "--model", "x");
        assertEquals(1, down.exitCode());
        assertEquals("error: tokenizer at http://127.0.0.1:1/tokenize is unreachable (connection refused)",
                down.errLines().get(down.errLines().size() - 1));
    }

    /**
     * A prompt file is the prompt byte for byte (CRLF line ends and a last newline are the text's, as vLLM and the
     * gateway tokenize a request's text; a UTF-8 BOM is the file's), and a chat completion request's messages go as
     * written, a content of parts and a null content beside tool calls included, with the settings of the request that
     * change their rendering (vLLM 5ac26849 vllm/entrypoints/serve/tokenize/protocol.py TokenizeChatRequest), a
     * reasoning effort folded into the template's arguments as a chat completion folds it (chat_completion/protocol.py
     * build_chat_params: reasoning_effort, and enable_thinking unless the request set it). Found in
     * review: lines were joined with LF and the last newline dropped, and any message whose content was not a string was
     * refused as "not chat messages".
     */
    @Test
    void promptFilesAndChatRequestsReachTheTokenizerAsWritten() throws IOException {
        AtomicReference<String> body = new AtomicReference<>();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/tokenize", exchange -> {
            body.set(new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8));
            byte[] answer = ("{\"count\":48,\"max_model_len\":4096,\"tokens\":[" + ids(0, 48) + "]}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, answer.length);
            exchange.getResponseBody().write(answer);
            exchange.close();
        });
        server.start();
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            // kubectl has no @file arguments (picocli expands them by default): an @ is the prompt's own text
            Path notes = dir.resolve("notes");
            Files.writeString(notes, "a file's contents");
            Result at = CliHarness.run("cache-probe", "--from", TWO_PODS, "--prompt", "@" + notes, "--tokenizer", url,
                    "--model", "demo-model", "-o", "json");
            assertEquals(0, at.exitCode(), at.err());
            assertEquals("@" + notes, JsonParser.parseString(body.get()).getAsJsonObject().get("prompt").getAsString());
            Path text = dir.resolve("prompt.txt");
            Files.writeString(text, "\uFEFFOnce upon a time\r\nthere was a cache.\n");
            Result r = CliHarness.run("cache-probe", "--from", TWO_PODS, "--prompt-file", text.toString(),
                    "--tokenizer", url, "--model", "demo-model", "-o", "json");
            assertEquals(0, r.exitCode(), r.err());
            assertEquals("Once upon a time\r\nthere was a cache.\n", JsonParser.parseString(body.get()).getAsJsonObject()
                    .get("prompt").getAsString());

            Path chat = dir.resolve("request.json");
            Files.writeString(chat, """
                    {"model": "demo-model", "temperature": 0.2, "add_generation_prompt": false,
                     "chat_template_kwargs": {"custom": 1}, "reasoning_effort": "low",
                     "messages": [
                       {"role": "user", "content": [{"type": "text", "text": "What is the weather?"}]},
                       {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                         "function": {"name": "weather", "arguments": "{}"}}]},
                       {"role": "tool", "tool_call_id": "c1", "content": "sunny"}]}
                    """);
            r = CliHarness.run("cache-probe", "--from", TWO_PODS, "--messages-file", chat.toString(),
                    "--tokenizer", url, "--model", "demo-model", "-o", "json");
            assertEquals(0, r.exitCode(), r.err());
            assertEquals(JsonParser.parseString("""
                    {"model": "demo-model",
                     "messages": [
                       {"role": "user", "content": [{"type": "text", "text": "What is the weather?"}]},
                       {"role": "assistant", "content": null, "tool_calls": [{"id": "c1", "type": "function",
                         "function": {"name": "weather", "arguments": "{}"}}]},
                       {"role": "tool", "tool_call_id": "c1", "content": "sunny"}],
                     "add_generation_prompt": false, "add_special_tokens": false,
                     "chat_template_kwargs": {"custom": 1, "reasoning_effort": "low", "enable_thinking": true}}
                    """), JsonParser.parseString(body.get()));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void usageErrorsSayWhatIsMissing() {
        Result none = CliHarness.run("cache-probe", "--from", TWO_PODS);
        assertEquals(2, none.exitCode());
        assertTrue(none.err().startsWith("error: nothing to probe"), none.err());
        Result text = CliHarness.run("cache-probe", "--from", TWO_PODS, "--prompt", "hi");
        assertEquals(2, text.exitCode());
        assertTrue(text.err().contains("--tokenizer"), text.err());
        Result bad = CliHarness.run("cache-probe", "--from", TWO_PODS, "--tokens", "1,two,3");
        assertEquals(List.of("error: --tokens: 'two' is not a token id"), bad.errLines());
        Result model = CliHarness.run("cache-probe", "--from", TWO_PODS, "--tokens", "1,2", "--model", "other");
        assertEquals(1, model.exitCode());
        assertTrue(model.err().contains("error: the index holds no blocks of other; it holds [demo-model]"), model.err());
    }
}
