package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvevents.testing.VllmPeer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 16: {@code top} in a terminal, through a pseudo-terminal made by util-linux {@code script}: the built launcher
 * takes the alternate screen (xterm's smcup, {@code ESC [?1049h}), draws the table, and gives the screen back.
 */
class TopTerminalIT {
    @TempDir
    Path dir;

    @Test
    void inAPseudoTerminalTopDrawsFullScreenAndRestoresTheScreen() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/script")), "util-linux script is not installed");
        try (VllmPeer peer = VllmPeer.start("--clock", "wall")) {
            peer.publish(3);
            String command = LauncherIT.LAUNCHER.toAbsolutePath() + " top --endpoint " + peer.endpointSpec("pod-a")
                    + " --interval 500ms --timeout 4s";
            Path typescript = dir.resolve("typescript");
            ProcessBuilder pb = new ProcessBuilder(List.of("/usr/bin/script", "-q", "-e", "-c", command,
                    typescript.toString()));
            pb.environment().put("TERM", "xterm");
            pb.environment().put("XDG_CACHE_HOME", dir.resolve("cache").toString());
            Process p = pb.redirectErrorStream(true).redirectOutput(dir.resolve("out").toFile())
                    .redirectInput(ProcessBuilder.Redirect.PIPE).start();
            for (int i = 0; i < 8; i++) {
                Thread.sleep(300);
                peer.publish(1);
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "top did not end");
            String screen = Files.readString(typescript, StandardCharsets.ISO_8859_1);
            assertEquals(0, p.exitValue(), screen);
            assertTrue(screen.contains("\u001b[?1049h"), "the alternate screen: " + screen);
            assertTrue(screen.contains("\u001b[?1049l"), "the screen given back: " + screen);
            assertTrue(screen.contains("kubectl kvevents top"), screen);
            assertTrue(screen.matches("(?s).*SOURCE +EVENTS/S +STORED.*\r\npod-a +.*"), screen);
        }
    }
}
