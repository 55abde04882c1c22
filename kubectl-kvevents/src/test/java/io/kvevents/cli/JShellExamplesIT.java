package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every JShell example runs against the built jar, as the README says, without an error. */
@Timeout(180)
class JShellExamplesIT {
    static final Path EXAMPLES = LauncherIT.EXAMPLES;
    static final Path JAR = LauncherIT.LAUNCHER.resolveSibling("kvevents.jar");

    static Stream<Path> examples() throws Exception {
        try (Stream<Path> files = Files.list(EXAMPLES)) {
            List<Path> scripts = files.filter(f -> f.toString().endsWith(".jsh"))
                    .filter(f -> !f.getFileName().toString().equals("kvevents.jsh")).sorted().toList();
            assertTrue(scripts.size() >= 3, "examples missing: " + scripts);
            return scripts.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("examples")
    void runsWithoutError(Path script) throws Exception {
        Path jshell = Path.of(System.getProperty("java.home"), "bin", "jshell");
        Process p = new ProcessBuilder(jshell.toString(), "--class-path", JAR.toAbsolutePath().toString(),
                "--startup", "DEFAULT", "--startup", EXAMPLES.resolve("kvevents.jsh").toAbsolutePath().toString(),
                script.toAbsolutePath().toString())
                .directory(EXAMPLES.toAbsolutePath().getParent().toFile())
                .redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(150, TimeUnit.SECONDS), "jshell did not finish: " + out);
        assertEquals(0, p.exitValue(), out);
        // jshell reports a failed snippet as "Error:" or "Exception …" (with "|  " in interactive mode)
        assertTrue(out.lines().map(l -> l.replaceFirst("^\\|\\s+", "")).noneMatch(l -> l.startsWith("Error:")
                || l.startsWith("Exception ") || l.contains("SLF4J")), out);
    }
}
