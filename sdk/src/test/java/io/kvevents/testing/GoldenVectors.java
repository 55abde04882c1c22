package io.kvevents.testing;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** The golden vLLM payloads of ../shared/wire-vectors (copied into the test resources). */
public final class GoldenVectors {
    private GoldenVectors() {
    }

    /** One vector: expected is null for malformed ones, expectedError null for good ones. */
    public record Vector(String name, String encoding, String description, byte[] payload, JsonObject expected,
            String expectedError) {
        @Override
        public String toString() {
            return name;
        }
    }

    public static List<Vector> all() {
        try (InputStream in = GoldenVectors.class.getResourceAsStream("/wire-vectors.json")) {
            JsonArray vectors = JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8))
                    .getAsJsonObject().getAsJsonArray("vectors");
            List<Vector> out = new ArrayList<>();
            for (JsonElement e : vectors) {
                JsonObject v = e.getAsJsonObject();
                out.add(new Vector(v.get("name").getAsString(), v.get("encoding").getAsString(),
                        v.get("description").getAsString(), HexFormat.of().parseHex(v.get("hex").getAsString()),
                        v.has("expected") ? v.getAsJsonObject("expected") : null,
                        v.has("expected_error") ? v.get("expected_error").getAsString() : null));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * SGLang payloads (sglang-vectors.json, with their provenance): real msgspec bytes of each SGLang layout.
     * They carry no expected events; the tests that read them state what each must decode to.
     */
    public static List<Vector> sglang() {
        try (InputStream in = GoldenVectors.class.getResourceAsStream("/sglang-vectors.json")) {
            List<Vector> out = new ArrayList<>();
            for (JsonElement e : JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8))
                    .getAsJsonObject().getAsJsonArray("vectors")) {
                JsonObject v = e.getAsJsonObject();
                out.add(new Vector(v.get("name").getAsString(), "sglang", v.get("description").getAsString(),
                        HexFormat.of().parseHex(v.get("hex").getAsString()), null, null));
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every payload that must decode: vLLM's good vectors and SGLang's. */
    public static List<byte[]> decodable() {
        List<byte[]> out = new ArrayList<>(good().stream().map(Vector::payload).toList());
        sglang().forEach(v -> out.add(v.payload()));
        return out;
    }

    public static Vector sglangNamed(String name) {
        return sglang().stream().filter(v -> v.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no SGLang vector " + name));
    }

    public static List<Vector> good() {
        return all().stream().filter(v -> v.expected() != null).toList();
    }

    public static List<Vector> malformed() {
        return all().stream().filter(v -> v.expected() == null).toList();
    }

    public static Vector named(String name) {
        return all().stream().filter(v -> v.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no vector " + name));
    }
}
