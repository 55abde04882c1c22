package io.kvevents.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The real libzmq peer: {@code vllm_publisher.py} run with Debian's python3-zmq and python3-msgpack,
 * publishing and replaying exactly as vLLM's ZmqEventPublisher does. Driven through its stdin.
 */
public final class VllmPeer implements AutoCloseable {
    private static final Pattern READY = Pattern.compile("ready pub=(\\d+) replay=(\\d+)");

    private final Process process;
    /** The peer's stderr, kept so that a peer that died mid-test can say why. */
    private final Path errors;
    private final Writer commands;
    private final BufferedReader answers;
    private final int pubPort;
    private final int replayPort;
    private final String host;

    private VllmPeer(List<String> args) {
        int at = args.indexOf("--host");
        String h = at >= 0 && at + 1 < args.size() ? args.get(at + 1) : "127.0.0.1";
        host = h.contains(":") ? "[" + h + "]" : h;
        try {
            List<String> command = new ArrayList<>();
            command.add(python());
            command.add(script().toString());
            command.addAll(args);
            errors = Files.createTempFile("vllm_publisher", ".err");
            errors.toFile().deleteOnExit();
            process = new ProcessBuilder(command).redirectError(errors.toFile()).start();
            commands = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String ready = answers.readLine();
            Matcher m = ready == null ? null : READY.matcher(ready);
            if (m == null || !m.matches()) {
                throw notStarted(ready);
            }
            pubPort = Integer.parseInt(m.group(1));
            replayPort = Integer.parseInt(m.group(2));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A peer with the given options, e.g. {@code "--format", "array", "--topic-frame"}. */
    public static VllmPeer start(String... args) {
        return new VllmPeer(List.of(args));
    }

    /** The interpreter that has Debian's zmq and msgpack modules. */
    public static String python() {
        return System.getProperty("kvevents.python", "/usr/bin/python3");
    }

    /** The peer script, copied out of the (test) class path. */
    public static Path script() throws IOException {
        Path file = Files.createTempFile("vllm_publisher", ".py");
        file.toFile().deleteOnExit();
        try (InputStream in = VllmPeer.class.getResourceAsStream("/python/vllm_publisher.py")) {
            if (in == null) {
                throw new IllegalStateException("python/vllm_publisher.py is not on the test class path");
            }
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
        }
        return file;
    }

    /** The hash the peer gives batch {@code seq} of publisher run {@code epoch} (as {@code hash_of} in the script). */
    public static long hashOf(int epoch, long seq) {
        long h = ((long) epoch << 40) | seq;
        return seq % 2 == 1 ? h | Long.MIN_VALUE : h;
    }

    public String liveEndpoint() {
        return "tcp://" + host + ":" + pubPort;
    }

    public String replayEndpoint() {
        return "tcp://" + host + ":" + replayPort;
    }

    /** {@code NAME=live,replay=replay}, the {@code --endpoint} form. */
    public String endpointSpec(String name) {
        return name + "=" + liveEndpoint() + ",replay=" + replayEndpoint();
    }

    /** Publishes n batches live (and into the replay buffer). */
    public String publish(int n) {
        return send("publish " + n);
    }

    /** Publishes n batches into the replay buffer only: the live messages are lost. */
    public String drop(int n) {
        return send("drop " + n);
    }

    /** Restarts the engine: seq back to 0, empty buffer, sockets rebound. */
    public String restart() {
        return send("restart");
    }

    /** The next replay answers k batches and then stops without an end marker. */
    public String cutNextReplay(int k) {
        return send("cut " + k);
    }

    /** The next replay request is answered {@code ms} milliseconds late (a busy publisher thread). */
    public String stallNextReplay(int ms) {
        return send("stall " + ms);
    }

    /** Sends a live message with a 2-byte seq frame, then a batch (counted in seq) whose payload is not msgpack. */
    public String garbage() {
        return send("garbage");
    }

    /** The peer's truth about its buffered batches: the JSON array tail -o json must print for {@code source}. */
    public String json(String source) {
        return send("json " + source).substring("ok ".length());
    }

    /** How many leading blocks of the prompt 0, 1, 2, … (16 tokens each) the peer's engine holds. */
    public int residentPrefix() {
        return Integer.parseInt(send("truth").substring("ok prefix=".length()));
    }

    private synchronized String send(String command) {
        try {
            commands.write(command + "\n");
            commands.flush();
            String answer = answers.readLine();
            if (answer == null || !answer.startsWith("ok")) {
                throw new IllegalStateException("peer answered '" + answer + "' to '" + command + "'");
            }
            return answer;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Stops the peer. A peer that had already exited on its own fails the test here, with its exit code and
     * stderr (added to the test's own failure when the test failed first).
     */
    @Override
    public void close() {
        boolean diedEarly = !process.isAlive();
        try {
            commands.write("quit\n");
            commands.flush();
        } catch (IOException ignored) {
            // already gone
        }
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (diedEarly) {
            throw new IllegalStateException("the python peer exited on its own, code " + process.exitValue() + stderr());
        }
    }

    private IllegalStateException notStarted(String ready) {
        try {
            if (!process.waitFor(5, TimeUnit.SECONDS)) { // it has written all it will once it has exited
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        return new IllegalStateException("the python peer did not start (" + ready + "); it needs " + python()
                + " with python3-zmq and python3-msgpack: apt-get install -y python3-zmq python3-msgpack" + stderr());
    }

    /** What the peer wrote on stderr, for a failure message. */
    private String stderr() {
        try {
            String text = Files.readString(errors, StandardCharsets.UTF_8).strip();
            return text.isEmpty() ? ", nothing on stderr" : ", stderr:\n" + text;
        } catch (IOException e) {
            return ", stderr unreadable: " + e.getMessage();
        }
    }
}
