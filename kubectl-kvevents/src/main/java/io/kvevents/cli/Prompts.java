package io.kvevents.cli;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reads prompts given on the command line: token ids, text, or chat messages. */
final class Prompts {
    private Prompts() {
    }

    /** One prompt's ids: comma- or space-separated. */
    static int[] tokenIds(String text, String where) {
        String[] parts = text.strip().split("[,\\s]+");
        int[] ids = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                ids[i] = Integer.parseInt(parts[i]);
            } catch (NumberFormatException e) {
                throw CliException.usage(where + ": '" + parts[i] + "' is not a token id");
            }
        }
        return ids;
    }

    /** One prompt per non-blank line. */
    static List<int[]> tokenFile(Path file) {
        List<int[]> prompts = new ArrayList<>();
        List<String> lines = read(file);
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                prompts.add(tokenIds(lines.get(i), file + ":" + (i + 1)));
            }
        }
        if (prompts.isEmpty()) {
            throw CliException.usage(file + " holds no prompts (one per line, comma- or space-separated token ids)");
        }
        return prompts;
    }

    /**
     * The whole file as the prompt, byte for byte (line endings and a last newline are the prompt's, as the engine and
     * the gateway tokenize a request's text); only a UTF-8 byte order mark, which is the file's, not the text's, goes.
     */
    static String text(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.FAILURE, file + " does not exist");
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot read " + file + ": " + e.getMessage());
        }
    }

    /**
     * A chat: its messages, each as written (a content of parts, a null content beside tool calls), and, when the file
     * is a whole chat completion request, the settings of it that change how the messages render.
     */
    record Chat(List<Map<String, Object>> messages, Map<String, Object> settings) {
    }

    /** Chat messages: a JSON array of messages, or a chat completion request (an object with a "messages" array). */
    @SuppressWarnings("unchecked")
    static Chat messages(Path file) {
        com.google.gson.Gson gson = new com.google.gson.GsonBuilder()
                .setObjectToNumberStrategy(com.google.gson.ToNumberPolicy.LONG_OR_DOUBLE).create();
        try {
            JsonElement root = JsonParser.parseString(text(file));
            boolean request = root.isJsonObject() && root.getAsJsonObject().has("messages");
            JsonArray array = request ? root.getAsJsonObject().getAsJsonArray("messages") : root.getAsJsonArray();
            List<Map<String, Object>> out = new ArrayList<>();
            for (JsonElement e : array) {
                Map<String, Object> m = gson.fromJson(e.getAsJsonObject(), LinkedHashMap.class);
                if (!(m.get("role") instanceof String)) {
                    throw new IllegalArgumentException("a message without a role");
                }
                out.add(m);
            }
            Map<String, Object> settings = request
                    ? io.kvevents.sdk.Tokenizer.chatSettings(gson.fromJson(root, LinkedHashMap.class)) : Map.of();
            return new Chat(out, settings);
        } catch (CliException e) {
            throw e; // the file is missing or unreadable: said as such
        } catch (RuntimeException e) {
            throw CliException.usage(file + " is not a JSON array of chat messages [{\"role\":…,\"content\":…}] nor a chat"
                    + " completion request {\"messages\":[…]}");
        }
    }

    private static List<String> read(Path file) {
        return text(file).lines().toList();
    }
}
