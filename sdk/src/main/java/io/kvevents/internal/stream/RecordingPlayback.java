package io.kvevents.internal.stream;

import io.kvevents.internal.recording.RecordingCodec;
import io.kvevents.sdk.MalformedMessage;
import io.kvevents.sdk.RawMessage;
import io.kvevents.sdk.SourceStats;
import io.kvevents.sdk.StreamNotice;
import io.kvevents.sdk.StreamNotice.Kind;
import io.kvevents.sdk.StreamOptions;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Plays a recording back through the same sequencing as a live source: each recorded source gets a
 * sequencer without a replay endpoint, so gaps and restarts in the file surface exactly as they did live.
 */
final class RecordingPlayback implements SourceWorker {
    private final Path file;
    private final StreamOptions options;
    private final ItemSink sink;
    private final Map<String, SourceSequencer> sources = new LinkedHashMap<>();
    private final Map<String, Boolean> reachedFromSeq = new LinkedHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean done;

    RecordingPlayback(Path file, StreamOptions options, ItemSink sink) {
        this.file = file;
        this.options = options;
        this.sink = sink;
        this.thread = new Thread(this::run, "kvevents-recording-" + file.getFileName());
        this.thread.setDaemon(true);
    }

    @Override
    public void start() {
        thread.start();
    }

    @Override
    public void stop() {
        running = false;
        try {
            thread.join(2000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean done() {
        return done;
    }

    @Override
    public List<SourceStats> stats() {
        synchronized (sources) {
            List<SourceStats> out = new ArrayList<>(sources.size());
            sources.values().forEach(s -> out.add(s.stats()));
            return out;
        }
    }

    private void run() {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            long number = 0;
            while (running && (line = in.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                RawMessage m;
                try {
                    m = RecordingCodec.fromLine(line);
                } catch (IllegalArgumentException e) {
                    sink.emit(new MalformedMessage(file.toString(), null, file + ":" + number + ": " + e.getMessage()));
                    continue;
                }
                play(m);
            }
            if (running) {
                synchronized (sources) {
                    for (String source : sources.keySet()) {
                        sink.emit(StreamNotice.of(source, Kind.FINISHED, "end of recording " + file));
                    }
                }
            }
        } catch (NoSuchFileException e) {
            sink.emit(StreamNotice.of(file.toString(), Kind.FAILED, "recording " + file + " does not exist"));
        } catch (IOException | RuntimeException e) {
            sink.emit(StreamNotice.of(file.toString(), Kind.FAILED, "cannot read recording " + file + ": " + e.getMessage()));
        } finally {
            done = true;
        }
    }

    private void play(RawMessage m) {
        long now = System.nanoTime();
        SourceSequencer sequencer;
        synchronized (sources) {
            sequencer = sources.get(m.source());
            if (sequencer == null) {
                sequencer = new SourceSequencer(m.source(), sink, null, options);
                sequencer.start(now);
                sources.put(m.source(), sequencer);
            }
        }
        // --from-seq: the part of the first publisher run before that seq is skipped, not a restart.
        if (!reachedFromSeq.getOrDefault(m.source(), false)) {
            if (m.seq() < options.fromSeq()) {
                return;
            }
            reachedFromSeq.put(m.source(), true);
        }
        sequencer.onLive(m, now);
    }
}
