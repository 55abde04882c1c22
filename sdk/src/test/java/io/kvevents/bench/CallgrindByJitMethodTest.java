package io.kvevents.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kvevents.testing.VllmPeer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The script docs/performance.md counts instructions with: JIT code named by the perf map is summed, the rest
 * (interpreter, unnamed VM code) and the inclusive cost after a {@code calls=} line are left out, and the
 * difference of two threads is divided by the difference of their operation counts (then the threads' whole counts,
 * read from their summary lines, the same way). Each left-out cost grows between
 * the two runs, so counting any of it would change the answer.
 */
class CallgrindByJitMethodTest {
    @TempDir
    Path dir;

    /** A callgrind output ({@code positions: instr line}) of one function's instructions at the given addresses. */
    private Path out(String name, long probeCost, long interpreterCost) throws IOException {
        return Files.writeString(dir.resolve(name), String.join("\n",
                "version: 1", "positions: instr line", "events: Ir",
                "summary: " + (probeCost + 7 * probeCost + interpreterCost + 3 * probeCost), "fn=(1) jit",
                "0x1000 0 " + probeCost / 2, // IndexCore.probe, two instructions
                "+8 0 " + probeCost / 2,
                "calls=1 0x3000 0",
                "+4 0 " + 7 * probeCost, // a call's inclusive cost: not the caller's own
                "0x2000 0 " + interpreterCost, // the interpreter
                "0x9000 0 " + 3 * probeCost, // code the map does not name (the VM)
                ""));
    }

    @Test
    void countsNamedJitCodeOnlyPerOperation() throws IOException, InterruptedException {
        Path map = Files.writeString(dir.resolve("perf.map"),
                "1000 100 io.kvevents.sdk.ProbeResult io.kvevents.internal.index.IndexCore.probe(ProbeRequest)\n"
                        + "2000 100 Interpreter\n");
        Path script = dir.resolve("callgrind_by_jit_method.py");
        try (InputStream in = getClass().getResourceAsStream("/python/callgrind_by_jit_method.py")) {
            Files.copy(in, script);
        }
        Path a = out("cg.2000", 2_000_000, 5_000_000);
        Path b = out("cg.6000", 6_000_000, 9_000_000); // 4,000 more operations of 1,000 instructions each
        Process p = new ProcessBuilder(VllmPeer.python(), script.toString(), a.toString(), map.toString(), "2000",
                b.toString(), map.toString(), "6000").redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), output);
        List<String> lines = output.lines().toList();
        assertEquals("1000 instructions an operation in JIT code", lines.get(0), output);
        assertEquals(List.of("1000", "io.kvevents.sdk.ProbeResult io.kvevents.internal.index.IndexCore.probe(ProbeRequest)"),
                List.of(lines.get(1).trim().split("\\s+", 2)));
        // the thread's whole count: 11 × 4,000,000 more probe-scaled instructions and 4,000,000 more interpreted ones
        assertEquals("12000 instructions an operation in all the thread's code", lines.get(lines.size() - 1), output);
    }
}
