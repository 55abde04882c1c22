package io.kvevents.internal.recording;

import com.google.gson.stream.JsonReader;
import com.google.gson.stream.JsonToken;
import com.google.gson.stream.JsonWriter;
import io.kvevents.sdk.RawMessage;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;

/**
 * One recording line per received message (docs/cli.md (recordings)):
 * {@code {"source":…,"topic":…,"seq":…,"received":ISO-8601,"payload":base64}}.
 */
public final class RecordingCodec {
    private RecordingCodec() {
    }

    /** The JSON line of a message, without the newline. */
    public static String toLine(RawMessage m) {
        StringWriter text = new StringWriter(64 + m.payload().length * 4 / 3);
        try (JsonWriter w = new JsonWriter(text)) {
            w.beginObject();
            w.name("source").value(m.source());
            w.name("topic").value(m.topic());
            w.name("seq").value(m.seq());
            w.name("received").value(m.received().toString());
            w.name("payload").value(Base64.getEncoder().encodeToString(m.payload()));
            w.endObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return text.toString();
    }

    /**
     * Parses one line.
     *
     * @throws IllegalArgumentException saying what is wrong with the line
     */
    public static RawMessage fromLine(String line) {
        String source = null;
        String topic = "";
        Long seq = null;
        Instant received = null;
        byte[] payload = null;
        try (JsonReader r = new JsonReader(new StringReader(line))) {
            r.beginObject();
            while (r.hasNext()) {
                String name = r.nextName();
                switch (name) {
                    case "source" -> source = r.nextString();
                    case "topic" -> topic = r.nextString();
                    case "seq" -> seq = r.nextLong();
                    case "received" -> received = Instant.parse(r.nextString());
                    case "payload" -> payload = Base64.getDecoder().decode(r.nextString());
                    default -> r.skipValue();
                }
            }
            r.endObject();
            if (r.peek() != JsonToken.END_DOCUMENT) {
                throw new IllegalArgumentException("more than one JSON value on the line");
            }
        } catch (IOException | IllegalStateException | NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException("not a recording line (" + firstLine(e.getMessage()) + ")", e);
        }
        if (source == null || seq == null || payload == null) {
            throw new IllegalArgumentException("recording line lacks "
                    + (source == null ? "source" : seq == null ? "seq" : "payload"));
        }
        return new RawMessage(source, topic, seq, received == null ? Instant.EPOCH : received, payload);
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable";
        }
        int nl = s.indexOf('\n');
        return nl < 0 ? s : s.substring(0, nl);
    }
}
