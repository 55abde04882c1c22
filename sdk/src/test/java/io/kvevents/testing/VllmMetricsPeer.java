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

/**
 * A vLLM engine's HTTP server: {@code vllm_metrics.py}, which makes vLLM v0.11.0's metrics with the prometheus_client
 * library (Debian's python3-prometheus-client) and serves them, {@code /health} and {@code POST /tokenize} as vLLM does:
 * an ASGI app under uvicorn on httptools (python3-uvicorn, python3-httptools), which answers a request offering an
 * {@code Upgrade: h2c}, as the JDK's default HTTP client does, with a 400 (see the script).
 */
public final class VllmMetricsPeer implements AutoCloseable {
    private final Process process;
    private final Writer commands;
    private final BufferedReader answers;
    private final int port;

    private VllmMetricsPeer(List<String> args) {
        try {
            Path script = Files.createTempFile("vllm_metrics", ".py");
            script.toFile().deleteOnExit();
            try (InputStream in = VllmMetricsPeer.class.getResourceAsStream("/python/vllm_metrics.py")) {
                if (in == null) {
                    throw new IllegalStateException("python/vllm_metrics.py is not on the test class path");
                }
                Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
            }
            List<String> command = new ArrayList<>(List.of(VllmPeer.python(), script.toString()));
            command.addAll(args);
            process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            commands = new java.io.OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8);
            answers = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String first = answers.readLine(); // the script prints its port, or a failure, within 20 s
            if (first == null || !first.matches("\\d+")) {
                process.destroyForcibly();
                throw new IllegalStateException("vllm_metrics.py did not start (are python3-prometheus-client,"
                        + " python3-uvicorn and python3-httptools installed?): " + first);
            }
            port = Integer.parseInt(first);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** E.g. {@code "--model", "llama", "--num-gpu-blocks", "20000"}. */
    public static VllmMetricsPeer start(String... args) {
        return new VllmMetricsPeer(List.of(args));
    }

    /** The loopback port its {@code /metrics}, {@code /health} and {@code /tokenize} listen on. */
    public int port() {
        return port;
    }

    /** Counts {@code n} requests of 100 prompt tokens, {@code hit} of them cached, each with this time to first token. */
    public void serve(int n, int hit, double ttftSeconds, String finishedReason) {
        try {
            commands.write("serve " + n + " " + hit + " " + ttftSeconds + " " + finishedReason + "\n");
            commands.flush();
            String answer = answers.readLine();
            if (!"ok".equals(answer)) {
                throw new IllegalStateException("vllm_metrics.py answered " + answer);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public void close() {
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
    }
}
