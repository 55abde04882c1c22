package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.kvevents.testing.VllmMetricsPeer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The tokenizer client against vLLM's HTTP stack: uvicorn on httptools (vllm/entrypoints/launcher.py at 5ac26849 takes
 * uvicorn's default protocol, and fastapi[standard] installs httptools), serving vLLM's {@code /tokenize} request and
 * response shapes ({@code vllm_metrics.py}). Found in review: the JDK client's default HTTP/2 offers an
 * {@code Upgrade: h2c} on a plain-http request, which uvicorn's httptools protocol answers with a 400 (Debian's 0.17)
 * or by handing vLLM an empty body (later releases, Kludex/uvicorn#2722): every {@code --tokenizer} failed on a real
 * engine, while the tests' JDK HttpServer ignored the header.
 */
class TokenizerPeerTest {
    /** The peer's ids: a word is its characters' code points summed, plus 100. */
    private static int[] ids(boolean bos, String text) {
        int[] words = Arrays.stream(text.split(" ")).mapToInt(w -> 100 + w.chars().sum()).toArray();
        if (!bos) {
            return words;
        }
        int[] out = new int[words.length + 1];
        out[0] = 1;
        System.arraycopy(words, 0, out, 1, words.length);
        return out;
    }

    @Test
    void textAndChatAreTokenizedByAnEngineServedAsVllmServesIt() {
        try (VllmMetricsPeer engine = VllmMetricsPeer.start("--model", "llama-3-8b")) {
            Tokenizer tokenizer = Tokenizer.vllm("http://127.0.0.1:" + engine.port());
            // TokenizeCompletionRequest: add_special_tokens true, so BOS
            assertArrayEquals(ids(true, "Once upon a time"), tokenizer.tokenize("llama-3-8b", "Once upon a time"));
            // TokenizeChatRequest: the template's rendering, add_generation_prompt true, add_special_tokens false
            assertArrayEquals(ids(false, "<|user|> hello there <|assistant|>"),
                    tokenizer.tokenizeChat("llama-3-8b", List.of(Map.of("role", "user", "content", "hello there"))));
            // vLLM's ErrorResponse {"error": {"message", ...}} is said as its message
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> tokenizer.tokenize("other", "x"));
            assertEquals(true, e.getMessage().contains("The model `other` does not exist."), e.getMessage());
            // the OpenAI base URL: vLLM has no /v1/tokenize (AIBrix appends /tokenize to the URL as given, too)
            IllegalStateException v1 = assertThrows(IllegalStateException.class,
                    () -> Tokenizer.vllm("http://127.0.0.1:" + engine.port() + "/v1").tokenize("llama-3-8b", "x"));
            assertEquals(true, v1.getMessage().endsWith("answered 404: Not Found (vLLM serves /tokenize at the root,"
                    + " beside /v1: give the URL without /v1)"), v1.getMessage());
        }
    }
}
