package io.kvevents.sdk;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A client of vLLM's {@code POST /tokenize}: text or chat messages in, the model's token ids out, as the engine
 * tokenizes a completion's prompt or renders a chat's messages with its chat template (so probes ask for the blocks the
 * engine really cached). Models whose chats vLLM renders otherwise (gpt-oss's Harmony format) are not covered.
 */
public final class Tokenizer {
    private final URI endpoint;
    private final HttpClient http;
    private final Duration timeout;

    private Tokenizer(URI base, Duration timeout) {
        String b = base.toString();
        this.endpoint = URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + "/tokenize");
        this.timeout = timeout;
        this.http = io.kvevents.internal.http.EngineHttp.client(timeout);
    }

    /** A tokenizer served by vLLM (or a compatible server) at {@code baseUrl}, e.g. {@code http://10.0.0.7:8000}. */
    public static Tokenizer vllm(String baseUrl) {
        URI uri;
        try {
            uri = URI.create(baseUrl);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a tokenizer URL: '" + baseUrl + "' (expected http://HOST:PORT)", e);
        }
        if (uri.getScheme() == null || !uri.getScheme().startsWith("http") || uri.getHost() == null) {
            throw new IllegalArgumentException("not a tokenizer URL: '" + baseUrl + "' (expected http://HOST:PORT)");
        }
        return new Tokenizer(uri, Duration.ofSeconds(10));
    }

    /** Completion form: {@code {"model","prompt","add_special_tokens":true}}. */
    public int[] tokenize(String model, String prompt) {
        JsonObject body = new JsonObject();
        body.addProperty("model", model);
        body.addProperty("prompt", prompt);
        body.addProperty("add_special_tokens", true);
        return call(body);
    }

    /**
     * Chat form: {@code {"model","messages","add_generation_prompt":true,"add_special_tokens":false}}, vLLM's defaults
     * for a chat (vllm/entrypoints/serve/tokenize/protocol.py TokenizeChatRequest at 5ac26849). Each message goes as
     * it is: a content that is a list of parts, or null beside tool calls, is the engine's to render.
     */
    public int[] tokenizeChat(String model, List<? extends Map<String, ?>> messages) {
        return tokenizeChat(model, messages, Map.of());
    }

    /** The settings of a chat request that change how its messages render: TokenizeChatRequest takes them too. */
    public static final List<String> CHAT_SETTINGS = List.of("add_generation_prompt", "continue_final_message",
            "add_special_tokens", "chat_template", "chat_template_kwargs", "tools", "mm_processor_kwargs",
            "media_io_kwargs");

    /**
     * What of a chat completion request renders its messages, as {@link #tokenizeChat(String, List, Map)} takes it: its
     * {@link #CHAT_SETTINGS}, and what vLLM folds into the chat template's arguments for a chat completion but
     * {@code /tokenize} does not take itself: {@code documents} and {@code reasoning_effort}, and {@code enable_thinking}
     * (false for effort "none") unless the request's {@code chat_template_kwargs} set it, none of them when null or
     * "auto" (vllm/entrypoints/openai/chat_completion/protocol.py {@code build_chat_params}, renderers/params.py
     * {@code merge_kwargs}, at 5ac26849).
     */
    public static Map<String, Object> chatSettings(Map<String, ?> request) {
        Map<String, Object> settings = new java.util.LinkedHashMap<>();
        request.forEach((k, v) -> {
            if (CHAT_SETTINGS.contains(k)) {
                settings.put(k, v);
            }
        });
        Map<String, Object> kwargs = new java.util.LinkedHashMap<>();
        if (request.get("chat_template_kwargs") instanceof Map<?, ?> user) {
            user.forEach((k, v) -> kwargs.put(String.valueOf(k), v));
        }
        Object effort = request.get("reasoning_effort");
        Map<String, Object> extra = new java.util.LinkedHashMap<>();
        extra.put("documents", request.get("documents"));
        extra.put("reasoning_effort", effort);
        if (effort != null && !kwargs.containsKey("enable_thinking")) {
            extra.put("enable_thinking", !"none".equals(effort));
        }
        extra.forEach((k, v) -> {
            if (v != null && !"auto".equals(v)) {
                kwargs.put(k, v);
            }
        });
        if (!kwargs.isEmpty()) {
            settings.put("chat_template_kwargs", kwargs);
        }
        return settings;
    }

    /**
     * Chat form with a request's own rendering settings ({@link #CHAT_SETTINGS}; others are not sent): a chat
     * completion that asks {@code add_generation_prompt: false} or passes {@code chat_template_kwargs} is rendered so
     * by the engine, and must be tokenized so to find the blocks it cached.
     */
    public int[] tokenizeChat(String model, List<? extends Map<String, ?>> messages, Map<String, ?> settings) {
        JsonObject body = new JsonObject();
        body.addProperty("model", model);
        body.add("messages", JSON.toJsonTree(messages));
        body.addProperty("add_generation_prompt", true);
        body.addProperty("add_special_tokens", false);
        settings.forEach((k, v) -> {
            if (CHAT_SETTINGS.contains(k)) {
                body.add(k, JSON.toJsonTree(v));
            }
        });
        return call(body);
    }

    /** Keeps a message's null content: an assistant turn of tool calls carries {@code "content": null}. */
    private static final com.google.gson.Gson JSON = new com.google.gson.GsonBuilder().serializeNulls().create();

    private int[] call(JsonObject body) {
        HttpRequest request = HttpRequest.newBuilder(endpoint).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (ConnectException e) {
            throw new IllegalStateException("tokenizer at " + endpoint + " is unreachable (connection refused)", e);
        } catch (HttpTimeoutException e) {
            throw new IllegalStateException("tokenizer at " + endpoint + " did not answer within " + timeout.toSeconds()
                    + "s", e);
        } catch (IOException e) {
            throw new IllegalStateException("tokenizer at " + endpoint + " is unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while calling the tokenizer at " + endpoint, e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new IllegalStateException("tokenizer at " + endpoint + " answered " + response.statusCode() + ": "
                    + errorText(response.body()) + (response.statusCode() == 404 && endpoint.getPath().endsWith("/v1/tokenize")
                            ? " (vLLM serves /tokenize at the root, beside /v1: give the URL without /v1)" : ""));
        }
        try {
            JsonElement tokens = JsonParser.parseString(response.body()).getAsJsonObject().get("tokens");
            if (tokens == null || !tokens.isJsonArray()) {
                throw new IllegalStateException("tokenizer at " + endpoint + " answered without a tokens array");
            }
            JsonArray a = tokens.getAsJsonArray();
            int[] out = new int[a.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = a.get(i).getAsInt();
            }
            return out;
        } catch (JsonParseException | IllegalStateException | ClassCastException | NumberFormatException e) {
            if (e instanceof IllegalStateException ise && ise.getMessage().startsWith("tokenizer")) {
                throw ise;
            }
            throw new IllegalStateException("tokenizer at " + endpoint + " answered something that is not"
                    + " {\"tokens\": [...]}: " + errorText(response.body()), e);
        }
    }

    /**
     * vLLM's error bodies: {@code {"error":{"message":…,"type":…,"code":…}}} (vllm/entrypoints/openai/engine/protocol.py
     * ErrorResponse at 5ac26849), {@code {"object":"error","message":…}} before; FastAPI's {@code {"detail":…}}; else the
     * body's first line.
     */
    private static String errorText(String body) {
        try {
            JsonObject o = JsonParser.parseString(body).getAsJsonObject();
            if (o.has("error") && o.get("error").isJsonObject() && o.getAsJsonObject("error").has("message")) {
                return o.getAsJsonObject("error").get("message").getAsString();
            }
            if (o.has("message")) {
                return o.get("message").getAsString();
            }
            if (o.has("detail")) {
                JsonElement detail = o.get("detail");
                return detail.isJsonPrimitive() ? detail.getAsString() : detail.toString();
            }
        } catch (RuntimeException notJson) {
            // plain text
        }
        String line = body.strip().lines().findFirst().orElse("(empty body)");
        return line.length() > 200 ? line.substring(0, 200) + "…" : line;
    }

    @Override
    public String toString() {
        return "Tokenizer[" + endpoint + "]";
    }
}
