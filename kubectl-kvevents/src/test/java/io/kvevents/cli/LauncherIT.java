package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.kvevents.testing.GoldenVectors;
import io.kvevents.testing.VllmPeer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** End to end through the built launcher {@code target/kubectl-kvevents}, as a user runs it. */
@Timeout(120)
class LauncherIT {
    static final Path LAUNCHER = Path.of(System.getProperty("kvevents.launcher", "target/kubectl-kvevents"));
    static final Path EXAMPLES = Path.of(System.getProperty("kvevents.examples", "../examples"));

    @TempDir
    Path home;

    record Run(int exit, String out, String err) {
        List<String> outLines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }
    }

    private Run run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        // "kubectl …" and "sh SCRIPT …" run as given; anything else runs the launcher
        boolean asGiven = args.length > 0 && (args[0].equals("kubectl") || args[0].equals("sh"));
        if (!asGiven) {
            command.add(LAUNCHER.toAbsolutePath().toString());
        }
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("XDG_CACHE_HOME", home.resolve("cache").toString());
        pb.environment().putAll(env);
        Path out = Files.createTempFile(home, "out", ".txt");
        Path err = Files.createTempFile(home, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
        assertTrue(p.waitFor(100, TimeUnit.SECONDS), "launcher did not finish");
        return new Run(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8), Files.readString(err, StandardCharsets.UTF_8));
    }

    private Run run(String... args) throws IOException, InterruptedException {
        return run(Map.of(), args);
    }

    @Test
    void tailOfTheGoldenRecordingPrintsEveryEvent() throws Exception {
        Run r = run("tail", "--from", EXAMPLES.resolve("recordings/vllm-golden-vectors.jsonl").toString(), "-o", "json");
        assertEquals(0, r.exit(), r.err());
        long events = GoldenVectors.good().stream().mapToLong(v -> v.expected().getAsJsonArray("events").size()).sum();
        assertEquals(events, r.outLines().size());
        assertEquals(GoldenVectors.malformed().size(), r.err().lines().filter(l -> l.startsWith("warning:")).count());
        // a second run uses the class-data archive the first one left in the cache
        Run again = run("tail", "--from", EXAMPLES.resolve("recordings/vllm-golden-vectors.jsonl").toString(), "-o", "json");
        assertEquals(r.out(), again.out());
        try (var files = Files.walk(home.resolve("cache/kvevents"))) {
            assertTrue(files.anyMatch(f -> f.toString().endsWith(".jsa")), "no class-data archive was written");
        }
    }

    /**
     * The shell completion scripts complete every command's options: a run builds only the invoked command's model
     * (start-up), and {@code completion} needs all of them (found in review: the scripts completed command names only;
     * CompletionTest builds every command and could not see it).
     */
    @Test
    void theCompletionScriptsCompleteEveryCommandsOptions() throws Exception {
        for (String shell : List.of("bash", "zsh")) {
            Run r = run("completion", shell);
            assertEquals(0, r.exit(), r.err());
            for (String option : List.of("--max-events", "--settle", "--gateway-only", "--restore", "--backup-dir")) {
                assertTrue(r.out().contains(option), shell + " completes " + option);
            }
        }
    }

    @Test
    void aFirstRunWithStdinClosedStillRuns() throws Exception {
        // the first run on JDK 17 runs the JVM as a child that is handed the launcher's stdin
        Run r = run("sh", "-c", "exec " + LAUNCHER.toAbsolutePath() + " version <&-");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("kubectl-kvevents "), r.out());
    }

    @Test
    void tailAgainstALibzmqPublisherReplaysHistoryThenStops() throws Exception {
        try (VllmPeer peer = VllmPeer.start("--topic-frame")) {
            peer.publish(30);
            Run r = run("tail", "--endpoint", peer.endpointSpec("pod-a"), "--types", "stored", "--max-events", "30",
                    "--timeout", "60s");
            assertEquals(0, r.exit(), r.err());
            assertEquals(30, r.outLines().size());
            assertTrue(r.outLines().get(29).contains("pod-a  seq=29  BlockStored"), r.outLines().get(29));
        }
    }

    @Test
    void theReadmeDemoRunsAndEndsWithAProbeTable() throws Exception {
        Path demo = EXAMPLES.resolve("demo.sh").toAbsolutePath();
        Process p = new ProcessBuilder("sh", demo.toString()).redirectErrorStream(false)
                .redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(90, TimeUnit.SECONDS), "the demo did not finish");
        assertEquals(0, p.exitValue(), out);
        List<String> lines = out.lines().toList();
        int header = lines.indexOf(lines.stream().filter(l -> l.startsWith("PROMPT")).findFirst().orElseThrow(
                () -> new AssertionError("no probe table in:\n" + out)));
        assertEquals(9, lines.size() - header - 1, out); // 3 prompts x 3 pods
        assertEquals(3, lines.stream().filter(l -> l.endsWith("*")).count(), out);
        assertEquals(6, lines.stream().filter(l -> l.contains("  BlockStored  ") || l.contains("  BlockRemoved  ")).count(), out);
    }

    @Test
    void errorsAreOneLineWithoutAStackTraceUnlessVerbose() throws Exception {
        Run r = run("tail", "--from", home.resolve("missing.jsonl").toString());
        assertEquals(1, r.exit());
        assertEquals(1, r.err().lines().count(), r.err());
        Run usage = run("tail", "--no-such-flag");
        assertEquals(2, usage.exit());
        assertEquals(1, usage.err().lines().count(), usage.err());
        Run failed = run("status", "--local", "-f", home.resolve("missing.yaml").toString());
        assertEquals(1, failed.exit());
        assertEquals(List.of("error: " + home.resolve("missing.yaml") + " does not exist"), failed.err().lines().toList());
        for (List<String> args : List.of(List.of("-v", "status", "--local", "-f", home.resolve("missing.yaml").toString()),
                List.of("status", "--local", "-f", home.resolve("missing.yaml").toString(), "--verbose"),
                List.of("tail", "--no-such-flag", "--verbose"))) {
            Run verbose = run(args.toArray(String[]::new));
            assertTrue(verbose.err().startsWith("error: "), verbose.err());
            assertTrue(verbose.err().lines().anyMatch(l -> l.startsWith("\tat ")), "a stack trace with --verbose: " + verbose.err());
        }
    }

    @Test
    void aJavaOlderThan17IsRefusedByName() throws Exception {
        Path fakeJdk = home.resolve("jdk8");
        Files.createDirectories(fakeJdk.resolve("bin"));
        Path java = fakeJdk.resolve("bin/java");
        Files.writeString(java, "#!/bin/sh\necho 'openjdk version \"1.8.0_392\"' >&2\n");
        java.toFile().setExecutable(true);
        Run r = run(Map.of("JAVA_HOME", fakeJdk.toString(), "PATH", fakeJdk.resolve("bin") + ":/usr/bin:/bin"), "version");
        assertEquals(1, r.exit());
        assertTrue(r.err().startsWith("error: kubectl-kvevents needs Java 17 or newer; found: " + java + " (Java 8)"), r.err());
    }

    @Test
    void kubectlFindsThePluginOnPath() throws Exception {
        assumeTrue(onPath("kubectl"), "kubectl is not installed: apt-get install -y kubernetes-client");
        String path = LAUNCHER.toAbsolutePath().getParent() + ":" + System.getenv("PATH");
        Run list = run(Map.of("PATH", path), "kubectl", "plugin", "list");
        assertTrue(list.out().contains(LAUNCHER.toAbsolutePath().toString()), list.out() + list.err());
        Run complete = run(Map.of("PATH", path), "kubectl", "__complete", "kvevents", "ca");
        assertTrue(complete.out().startsWith("cache-probe\n:4"), complete.out() + complete.err());
        Run version = run(Map.of("PATH", path), "kubectl", "kvevents", "version");
        assertEquals(0, version.exit(), version.err());
        assertTrue(version.out().startsWith("kubectl-kvevents v"), version.out());
    }

    private static boolean onPath(String program) {
        for (String dir : System.getenv("PATH").split(":")) {
            if (Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    /** The migration guide's script interface, over {@code enable}, against a real HTTP API server. */
    @Test
    void theMigrationScriptDryRunsAndRollsBackThroughEnable() throws Exception {
        try (ExampleCluster cluster = ExampleCluster.start(home)) {
            Path kubeconfig = cluster.kubeconfig;
            String script = EXAMPLES.resolve("migrate-to-kv-events.sh").toAbsolutePath().toString();
            Map<String, String> env = Map.of("KUBECONFIG", kubeconfig.toString(), "HOME", home.toString(),
                    "KVEVENTS", LAUNCHER.toAbsolutePath().toString());

            Run usage = run(env, "sh", script, "default");
            assertEquals(2, usage.exit(), usage.err());
            assertTrue(usage.err().startsWith("usage: migrate-to-kv-events.sh [--dry-run] [--tokenizer URL] [--skip-verify]"),
                    usage.err());

            Run dry = run(env, "sh", script, "--dry-run", "--tokenizer", "http://tokenizer.aibrix-system:8080", "default",
                    "llama-3-8b");
            assertEquals(0, dry.exit(), dry.err());
            assertEquals(List.of("deployment.apps/llama-3-8b patched (client dry run)", "service/llama-3-8b patched (client dry run)",
                    "deployment.apps/aibrix-gateway-plugins patched (client dry run)"), dry.outLines());

            // nothing runs the controllers here, so the rollout never finishes: enable rolls back and exits 3
            Map<String, String> quick = new java.util.HashMap<>(env);
            quick.put("KVEVENTS_ENABLE_FLAGS", "--timeout=2s --backup-dir=" + home.resolve("backup"));
            Run failed = run(quick, "sh", script, "--skip-verify", "--tokenizer", "http://tokenizer.aibrix-system:8080", "default",
                    "llama-3-8b");
            assertEquals(3, failed.exit(), failed.err());
            assertEquals(List.of("error: deployment.apps/llama-3-8b did not roll out within 2s; rolled back 3 object(s)"),
                    failed.err().lines().toList());
            try (var backups = Files.list(home.resolve("backup"))) {
                assertEquals(3, backups.count());
            }
        }
    }

    /** picocli ships Java 5 class files, which class-data sharing refuses; the build upgrades them so it does not. */
    @Test
    void theSecondStartLoadsTheCliFromTheClassDataArchive() throws Exception {
        assertEquals(0, run("--help").exit());
        Path log = home.resolve("class-load.log");
        Run again = run(Map.of("KVEVENTS_JAVA_OPTS", "-Xlog:class+load=info:file=" + log), "--help");
        assertEquals(0, again.exit(), again.err());
        String loads = Files.readString(log);
        for (String c : List.of("picocli.CommandLine", "picocli.CommandLine$Help", "io.kvevents.cli.Main")) {
            assertTrue(loads.contains(" " + c + " source: shared objects file"), c + " was not loaded from the archive");
        }
        assertTrue(loads.lines().noneMatch(l -> l.contains("io.kubernetes") || l.contains("org.zeromq")
                || l.contains("org.msgpack")), "--help loads no Kubernetes, ZeroMQ or msgpack class");
        // picocli's default factory looks for Groovy, which opens every jar of lib/ to find it missing
        assertTrue(loads.lines().noneMatch(l -> l.contains(" picocli.CommandLine$DefaultFactory ")),
                "--help does not start picocli's default factory");
    }

    /** In a terminal the launcher tells picocli the width, which would otherwise start `stty` from the JVM. */
    @Test
    void helpInATerminalFitsItsWidth() throws Exception {
        assumeTrue(onPath("script"), "script(1) from util-linux gives the launcher a terminal");
        assumeTrue(run("sh", "-c", "script -qec true /dev/null").exit() == 0, "this script(1) is not util-linux's");
        String launcher = LAUNCHER.toAbsolutePath().toString();
        Path log = home.resolve("class-load.log");
        Run r = run(Map.of("KVEVENTS_JAVA_OPTS", "-Xlog:class+load=info:file=" + log), "sh", "-c",
                "exec script -qec 'stty cols 60; " + launcher + " --help' /dev/null");
        assertEquals(0, r.exit(), r.err());
        List<String> lines = r.out().replaceAll("\u001B\\[[0-9;]*m", "").lines().toList();
        assertTrue(lines.size() > 10 && lines.stream().allMatch(l -> l.length() <= 60), r.out());
        assertTrue(lines.stream().anyMatch(l -> l.length() > 50), "the help uses the terminal's width: " + r.out());
        assertTrue(Files.readString(log).lines().noneMatch(l -> l.contains("java.lang.ProcessBuilder ")),
                "the JVM started no process to learn the width");
        // narrower than picocli's minimum: its 55 columns, and no warning about the width it was given
        Run narrow = run(Map.of(), "sh", "-c", "exec script -qec 'stty cols 40; " + launcher + " --help' /dev/null");
        assertEquals(0, narrow.exit(), narrow.err());
        String text = narrow.out().replaceAll("\\u001B\\[[0-9;]*m", "");
        assertTrue(text.lines().allMatch(l -> l.length() <= 55) && !text.contains("WARN"), text);
    }

    /** JDK 25: the first run trains an AOT cache in the background; the next runs start from it. */
    @Test
    void onJdk25TheSecondStartUsesTheAotCache() throws Exception {
        Path jdk25 = Path.of(System.getProperty("kvevents.jdk25", "/usr/lib/jvm/temurin-25-jdk-amd64"));
        assumeTrue(Files.isExecutable(jdk25.resolve("bin/java")), "no JDK 25 at " + jdk25 + " (-Dkvevents.jdk25=…)");
        Map<String, String> env = Map.of("JAVA_HOME", jdk25.toString());
        Run first = run(env, "version");
        assertEquals(0, first.exit(), first.err());
        assertEquals("", first.err(), "the training prints nothing");
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        List<Path> caches = List.of();
        while (caches.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(200);
            try (var files = Files.walk(home.resolve("cache/kvevents"))) {
                caches = files.filter(f -> f.toString().endsWith(".aot")).toList();
            }
        }
        assertEquals(1, caches.size(), "no AOT cache was made");
        Path log = home.resolve("aot-class-load.log");
        Run again = run(Map.of("JAVA_HOME", jdk25.toString(), "KVEVENTS_JAVA_OPTS",
                "-Xlog:class+load=info:file=" + log), "--help");
        assertEquals(0, again.exit(), again.err());
        assertTrue(Files.readString(log).contains(" picocli.CommandLine source: shared objects file"),
                "picocli did not come from the AOT cache");
    }

    /** On its first run (JDK 17 dumps the archive at exit) the JVM is the launcher's child: a kill must reach it. */
    @Test
    void killingTheLauncherStopsItsJvmAlsoOnTheFirstRun() throws Exception {
        assumeTrue(Runtime.version().feature() < 19, "JDK 19+ makes its archive itself: the launcher execs the JVM");
        Path endpoints = home.resolve("endpoints.txt");
        ProcessBuilder pb = new ProcessBuilder(LAUNCHER.toAbsolutePath().toString(), "simulate", "--trace",
                EXAMPLES.resolve("traces/mooncake-conversation-trace.jsonl").toString(), "--pods", "1", "--requests", "5",
                "--serve", "--duration", "60s", "--endpoints-file", endpoints.toString());
        pb.environment().put("XDG_CACHE_HOME", home.resolve("fresh-cache").toString());
        Process launcher = pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Files.exists(endpoints) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertTrue(Files.exists(endpoints), "the simulated pods did not start");
        List<ProcessHandle> jvms = launcher.descendants().toList();
        assertTrue(!jvms.isEmpty(), "the first run keeps the JVM as a child");
        launcher.destroy(); // SIGTERM to the script, as `kill PID` does
        assertTrue(launcher.waitFor(20, TimeUnit.SECONDS), "the launcher did not end");
        for (ProcessHandle jvm : jvms) {
            jvm.onExit().completeOnTimeout(jvm, 20, TimeUnit.SECONDS).get();
            boolean alive = jvm.isAlive();
            jvm.destroyForcibly(); // never leave it running for the rest of the build
            assertTrue(!alive, "the JVM outlived the launcher");
        }
    }
}
