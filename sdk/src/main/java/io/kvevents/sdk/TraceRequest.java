package io.kvevents.sdk;

import com.google.gson.stream.JsonReader;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One request of a Mooncake workload trace: {@code hash_ids} are prefix block ids of 512 tokens
 * each; equal ids at the same position mean a shared prefix.
 */
public record TraceRequest(long timestampMs, int inputLength, int outputLength, long[] hashIds) {
    /** Tokens per trace block. */
    public static final int TRACE_BLOCK = 512;

    /**
     * The prompt's token ids, derived deterministically from (hash id, position in its trace block)
     * so that equal trace prefixes give equal tokens.
     */
    public int[] tokens() {
        int n = Math.min(inputLength, hashIds.length * TRACE_BLOCK);
        int[] t = new int[n];
        for (int i = 0; i < n; i++) {
            long h = hashIds[i / TRACE_BLOCK] * 0x9E3779B97F4A7C15L + (i % TRACE_BLOCK) * 0xC2B2AE3D27D4EB4FL;
            h ^= h >>> 29;
            h *= 0xBF58476D1CE4E5B9L;
            h ^= h >>> 32;
            t[i] = (int) Math.floorMod(h, 150_000L); // a vocabulary of Llama 3's size
        }
        return t;
    }

    /** Reads a trace (JSON Lines); at most {@code limit} requests. */
    public static List<TraceRequest> read(Path file, int limit) {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in, file.toString(), limit);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read trace " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a trace (JSON Lines) from {@code in}, which stays open; at most {@code limit} requests.
     *
     * @param name what errors call the trace (a file name, a resource)
     */
    public static List<TraceRequest> read(BufferedReader in, String name, int limit) {
        List<TraceRequest> out = new ArrayList<>();
        try {
            String line;
            int number = 0;
            while (out.size() < limit && (line = in.readLine()) != null) {
                number++;
                if (!line.isBlank()) {
                    try {
                        out.add(parse(line));
                    } catch (IOException | RuntimeException e) {
                        throw new IllegalArgumentException(name + ":" + number + ": not a Mooncake trace line ("
                                + e.getMessage() + ")", e);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read trace " + name + ": " + e.getMessage(), e);
        }
        return out;
    }

    private static TraceRequest parse(String line) throws IOException {
        long ts = 0;
        int in = -1;
        int out = 0;
        List<Long> ids = new ArrayList<>();
        try (JsonReader r = new JsonReader(new StringReader(line))) {
            r.beginObject();
            while (r.hasNext()) {
                switch (r.nextName()) {
                    case "timestamp" -> ts = r.nextLong();
                    case "input_length" -> in = r.nextInt();
                    case "output_length" -> out = r.nextInt();
                    case "hash_ids" -> {
                        r.beginArray();
                        while (r.hasNext()) {
                            ids.add(r.nextLong());
                        }
                        r.endArray();
                    }
                    default -> r.skipValue();
                }
            }
            r.endObject();
        }
        if (in < 0) {
            throw new IllegalArgumentException("no input_length");
        }
        return new TraceRequest(ts, in, out, ids.stream().mapToLong(Long::longValue).toArray());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TraceRequest r && timestampMs == r.timestampMs && inputLength == r.inputLength
                && outputLength == r.outputLength && Arrays.equals(hashIds, r.hashIds);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(hashIds);
    }

    @Override
    public String toString() {
        return "TraceRequest[t=" + timestampMs + "ms " + inputLength + " tokens, " + hashIds.length + " trace blocks]";
    }
}
