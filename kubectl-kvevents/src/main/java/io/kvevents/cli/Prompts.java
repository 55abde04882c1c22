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

    /** The whole file as text. */
    static String text(Path file) {
        return String.join("\n", read(file));
    }

    /** Chat messages: a JSON array of {"role","content"} (or an object with a "messages" array). */
    static List<Map<String, String>> messages(Path file) {
        try {
            JsonElement root = JsonParser.parseString(text(file));
            JsonArray array = root.isJsonObject() && root.getAsJsonObject().has("messages")
                    ? root.getAsJsonObject().getAsJsonArray("messages") : root.getAsJsonArray();
            List<Map<String, String>> out = new ArrayList<>();
            for (JsonElement e : array) {
                Map<String, String> m = new LinkedHashMap<>();
                e.getAsJsonObject().entrySet().forEach(en -> m.put(en.getKey(), en.getValue().getAsString()));
                out.add(m);
            }
            return out;
        } catch (RuntimeException e) {
            throw CliException.usage(file + " is not a JSON array of chat messages [{\"role\":…,\"content\":…}]");
        }
    }

    private static List<String> read(Path file) {
        try {
            return Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new CliException(ExitCodes.FAILURE, file + " does not exist");
        } catch (IOException e) {
            throw new CliException(ExitCodes.FAILURE, "cannot read " + file + ": " + e.getMessage());
        }
    }
}
