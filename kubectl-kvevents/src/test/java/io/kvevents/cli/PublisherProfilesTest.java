package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kvevents.cli.CliHarness.Result;
import io.kvevents.testing.VllmPeer;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 13: {@code tail -o json} and {@code cache-probe} against a libzmq peer publishing as each upstream version
 * does (the profiles of sdk/src/test/python/vllm_publisher.py, each citing the upstream file and tag or commit it
 * follows: vLLM v0.9.0, v0.9.1, v0.11.0, v0.23.0, v0.25.1, 0.26 (#45177), main; SGLang before and after #37482),
 * must print and find exactly what the peer computes as the truth. Every pod here has no live traffic at all: its
 * whole history is reachable only by replay, and its replay replies carry no topic before vLLM 0.26, so the model
 * comes from {@code --endpoint …,model=NAME}.
 */
class PublisherProfilesTest {
    private static final int BATCHES = 12;

    static Stream<Arguments> profiles() {
        return Stream.of(
                Arguments.of("vllm-0.9.0", List.of()),
                Arguments.of("vllm-0.9.1", List.of()),
                Arguments.of("vllm-0.11.0", List.of()),
                Arguments.of("vllm-0.23", List.of("--groups", "--duplicates")),
                Arguments.of("vllm-0.23", List.of("--salt", "tenant-a")),
                Arguments.of("vllm-0.25", List.of("--duplicates")),
                Arguments.of("vllm-0.26", List.of("--groups")),
                Arguments.of("vllm-main", List.of("--duplicates", "--salt", "tenant-a")),
                Arguments.of("sglang-pre-37482", List.of("--salt", "tenant-a")),
                Arguments.of("sglang-pre-37482", List.of("--bigram", "--duplicates")),
                Arguments.of("sglang-37482", List.of("--salt", "tenant-a", "--bigram")),
                Arguments.of("sglang-37482", List.of()));
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("profiles")
    void tailAndCacheProbeSayWhatThePublisherHolds(String profile, List<String> options) {
        List<String> args = new ArrayList<>(List.of("--profile", profile, "--topic", ""));
        args.addAll(options);
        try (VllmPeer peer = VllmPeer.start(args.toArray(String[]::new))) {
            peer.publish(BATCHES);
            JsonArray truth = JsonParser.parseString(peer.json("pod-a")).getAsJsonArray();

            Result tail = CliHarness.run("tail", "--endpoint", peer.endpointSpec("pod-a") + ",model=demo", "-o", "json",
                    "--max-events", String.valueOf(truth.size()), "--timeout", "20s");
            assertEquals(0, tail.exitCode(), tail.err());
            assertEquals(truth.size(), tail.outLines().size(), tail.out());
            for (int i = 0; i < truth.size(); i++) {
                JsonObject want = truth.get(i).getAsJsonObject();
                JsonObject got = JsonParser.parseString(tail.outLines().get(i)).getAsJsonObject();
                assertEquals(want.keySet(), got.keySet(), "event " + i);
                for (String key : want.keySet()) {
                    assertTrue(same(want.get(key), got.get(key)),
                            profile + " event " + i + " " + key + ": want " + want.get(key) + ", got " + got.get(key));
                }
            }

            int prefix = peer.residentPrefix();
            String salt = options.contains("--salt") ? options.get(options.indexOf("--salt") + 1) : null;
            List<String> probe = new ArrayList<>(List.of("cache-probe", "--endpoint",
                    peer.endpointSpec("pod-a") + ",model=demo", "--model", "demo", "--tokens", tokens(BATCHES * 16),
                    "--settle", "1500ms", "-o", "json"));
            if (salt != null) {
                probe.addAll(List.of("--cache-salt", salt));
            }
            Result r = CliHarness.run(probe.toArray(String[]::new));
            assertEquals(0, r.exitCode(), r.err());
            JsonObject pod = JsonParser.parseString(r.outLines().get(0)).getAsJsonObject()
                    .getAsJsonArray("pods").get(0).getAsJsonObject();
            assertEquals(prefix, pod.get("matched_blocks").getAsInt(), profile + " " + options + ": " + r.out());
            assertTrue(prefix > 0, "the peer holds a prefix to find");

            if (salt != null) {
                Result unsalted = CliHarness.run("cache-probe", "--endpoint", peer.endpointSpec("pod-a") + ",model=demo",
                        "--model", "demo", "--tokens", tokens(BATCHES * 16), "--settle", "1500ms", "-o", "json");
                JsonObject other = JsonParser.parseString(unsalted.outLines().get(0)).getAsJsonObject()
                        .getAsJsonArray("pods").get(0).getAsJsonObject();
                assertEquals(0, other.get("matched_blocks").getAsInt(), "another salt never matches: " + unsalted.out());
            }
        }
    }

    /** JSON equality with numbers compared by value (1757500000.0 and 1757500000 are the same timestamp). */
    private static boolean same(JsonElement a, JsonElement b) {
        if (a.isJsonPrimitive() && b.isJsonPrimitive() && a.getAsJsonPrimitive().isNumber()
                && b.getAsJsonPrimitive().isNumber()) {
            return a.getAsBigDecimal().compareTo(b.getAsBigDecimal()) == 0;
        }
        if (a.isJsonArray() && b.isJsonArray()) {
            JsonArray x = a.getAsJsonArray();
            JsonArray y = b.getAsJsonArray();
            return x.size() == y.size() && IntStream.range(0, x.size()).allMatch(i -> same(x.get(i), y.get(i)));
        }
        return a.equals(b);
    }

    private static String tokens(int n) {
        return IntStream.range(0, n).mapToObj(String::valueOf).collect(Collectors.joining(","));
    }
}
