package io.kvevents.sdk;

import io.kvevents.internal.recording.RecordingCodec;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Recordings: JSON Lines of raw messages ({@code {"source","topic","seq","received","payload"}},
 * payload in base64), written in the order the stream applied them, so that playing one back with
 * {@link EventStream#replay} reproduces the stream, gaps and restarts included.
 */
public final class Recording {
    private Recording() {
    }

    /** Opens (creating or truncating) a recording file for writing. */
    public static Writer writer(Path file) {
        try {
            return new Writer(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write recording " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads every message of a recording.
     *
     * @throws IllegalArgumentException naming the first line that is not a recording line
     */
    public static List<RawMessage> read(Path file) {
        List<RawMessage> out = new ArrayList<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int number = 0;
            while ((line = in.readLine()) != null) {
                number++;
                if (!line.isBlank()) {
                    try {
                        out.add(RecordingCodec.fromLine(line));
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(file + ":" + number + ": " + e.getMessage(), e);
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read recording " + file + ": " + e.getMessage(), e);
        }
        return out;
    }

    /** Writes recording lines; one line per {@link #write}, flushed on {@link #flush} and {@link #close}. */
    public static final class Writer implements AutoCloseable {
        private final Path file;
        private final BufferedWriter out;
        private long written;

        private Writer(Path file, BufferedWriter out) {
            this.file = file;
            this.out = out;
        }

        /** Appends one message. */
        public void write(RawMessage message) {
            try {
                out.write(RecordingCodec.toLine(message));
                out.newLine();
                written++;
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write recording " + file + ": " + e.getMessage(), e);
            }
        }

        /** Pushes what was written to the file. */
        public void flush() {
            try {
                out.flush();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write recording " + file + ": " + e.getMessage(), e);
            }
        }

        /** Messages written so far. */
        public long written() {
            return written;
        }

        @Override
        public void close() {
            try {
                out.close();
            } catch (IOException e) {
                throw new UncheckedIOException("cannot write recording " + file + ": " + e.getMessage(), e);
            }
        }

        @Override
        public String toString() {
            return "Recording.Writer[" + file + ", " + written + " messages]";
        }
    }
}
