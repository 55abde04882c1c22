package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kvevents.cli.CliHarness.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(120)
class SimulateAndBenchCommandTest {
    static final String TRACE = CacheProbeCommandTest.TRACE.toString();

    @TempDir
    Path dir;

    @Test
    void simulateReportsTheHitRateOfEveryPolicy() {
        Result r = CliHarness.run("simulate", "--trace", TRACE, "--requests", "300", "--pods", "3", "--blocks", "20000");
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.outLines();
        assertEquals(4, lines.size());
        assertTrue(lines.get(0).startsWith("POLICY"), lines.get(0));
        assertTrue(lines.get(1).startsWith("round-robin"));
        assertTrue(lines.get(2).startsWith("random"));
        assertTrue(lines.get(3).startsWith("prefix"));
        double roundRobin = Double.parseDouble(lines.get(1).split("\\s+")[1].replace("%", ""));
        double prefix = Double.parseDouble(lines.get(3).split("\\s+")[1].replace("%", ""));
        assertTrue(prefix >= roundRobin, "prefix routing should reuse at least as much: " + lines);
    }

    /**
     * Without --trace, simulate and bench read the conversation trace inside the plugin, whatever the working folder:
     * the tests run in kubectl-kvevents/, which has no examples/ (as a krew install has none), and it is the same
     * trace as examples/traces'.
     */
    @Test
    void withoutTraceTheShippedConversationTraceIsUsedFromAnyFolder() throws Exception {
        assertTrue(!Files.exists(Path.of("examples/traces")), "the test needs a working folder without examples/");
        Result shipped = CliHarness.run("simulate", "--requests", "40", "--pods", "2", "--blocks", "5000");
        Result named = CliHarness.run("simulate", "--trace", TRACE, "--requests", "40", "--pods", "2", "--blocks", "5000");
        assertEquals(0, shipped.exitCode(), shipped.err());
        assertEquals(named.out(), shipped.out());
        try (var in = new java.io.BufferedReader(new java.io.InputStreamReader(
                TraceOption.class.getResourceAsStream("/traces/" + TraceOption.SHIPPED), java.nio.charset.StandardCharsets.UTF_8))) {
            assertEquals(Files.readAllLines(Path.of(TRACE)), in.lines().collect(java.util.stream.Collectors.toList()));
        }
        try (var readme = TraceOption.class.getResourceAsStream("/traces/README.md")) {
            assertTrue(new String(readme.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8)
                    .contains("Apache License 2.0"), "the trace ships with its source and licence");
        }
    }

    /** Issue 16: --plot writes each policy's hit rate along the trace as SVG, ending at the rate the table prints. */
    @Test
    void simulatePlotsEachPolicysHitRateCurveAsSvg() throws Exception {
        Path svg = dir.resolve("hit-rates.svg");
        Result r = CliHarness.run("simulate", "--trace", TRACE, "--requests", "300", "--pods", "3", "--blocks", "20000",
                "--plot", svg.toString());
        assertEquals(0, r.exitCode(), r.err());
        org.w3c.dom.Document doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder()
                .parse(svg.toFile());
        assertEquals("svg", doc.getDocumentElement().getTagName());
        org.w3c.dom.NodeList lines = doc.getElementsByTagName("polyline");
        assertEquals(3, lines.getLength());
        for (int i = 0; i < lines.getLength(); i++) {
            org.w3c.dom.Element line = (org.w3c.dom.Element) lines.item(i);
            String policy = line.getAttribute("data-policy");
            String[] points = line.getAttribute("points").split(" ");
            assertEquals(100, points.length, policy);
            double y = Double.parseDouble(points[points.length - 1].split(",")[1]);
            double rate = (30 + 340 - y) / 340; // the plot's frame: top 30, height 340
            String row = r.outLines().stream().filter(l -> l.startsWith(policy + " ")).findFirst().orElseThrow();
            double printed = Double.parseDouble(row.split("\\s+")[1].replace("%", "")) / 100;
            assertEquals(printed, rate, 0.001, policy + ": the curve ends at the overall rate");
        }
    }

    @Test
    void simulateServesEndpointsThatTailReads() throws Exception {
        Path endpoints = dir.resolve("endpoints.txt");
        Result sim = CliHarness.run("simulate", "--trace", TRACE, "--requests", "20", "--pods", "2", "--serve",
                "--duration", "4s", "--endpoints-file", endpoints.toString(), "--events", "array");
        assertEquals(0, sim.exitCode(), sim.err());
        assertEquals(2, Files.readAllLines(endpoints).size());
        assertEquals(Files.readAllLines(endpoints), sim.outLines());
    }

    @Test
    void benchPrintsTheFiguresAsOneJsonObject() {
        Result r = CliHarness.run("bench", "--trace", TRACE, "--requests", "100", "--pods", "4", "--blocks", "5000",
                "--repeat", "1", "--probes", "20", "-o", "json");
        assertEquals(0, r.exitCode(), r.err());
        JsonObject o = JsonParser.parseString(r.out()).getAsJsonObject();
        assertEquals(List.of("ingest_blocks_per_s", "ingest_presized_blocks_per_s", "ingest_two_threads_blocks_per_s",
                "ingest_two_threads_presized_blocks_per_s", "probe_p50_us", "probe_p99_us", "bytes_per_entry",
                "resident_entries", "recovery_ms"), List.copyOf(o.keySet()));
        assertTrue(o.get("resident_entries").getAsLong() > 2048);
        assertTrue(o.get("ingest_blocks_per_s").getAsDouble() > 0);
        assertTrue(o.get("ingest_two_threads_blocks_per_s").getAsDouble() > 0);
        assertTrue(o.get("ingest_two_threads_presized_blocks_per_s").getAsDouble() > 0);
    }

    @Test
    void aMissingTraceIsOneErrorLine() {
        Result r = CliHarness.run("simulate", "--trace", dir.resolve("none.jsonl").toString());
        assertEquals(1, r.exitCode());
        assertEquals(List.of("error: trace " + dir.resolve("none.jsonl") + " does not exist or cannot be read"), r.errLines());
        Result policy = CliHarness.run("simulate", "--trace", TRACE, "--policy", "fastest");
        assertEquals(2, policy.exitCode());
        assertTrue(policy.err().contains("unknown policy 'fastest'"), policy.err());
    }
}
