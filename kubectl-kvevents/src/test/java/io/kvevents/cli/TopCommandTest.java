package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kvevents.cli.CliHarness.Result;
import io.kvevents.testing.VllmPeer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Issue 16: {@code top} as plain lines (not a terminal) and {@code --once -o json}, against the real libzmq peer. */
class TopCommandTest {

    @Test
    void onceAsJsonCountsTheReplayedHistoryAndTheResidentBlocks() {
        try (VllmPeer peer = VllmPeer.start()) {
            peer.publish(5); // seqs 0..4 store one block each; seq 4 removes seq 1's
            Result r = CliHarness.run("top", "--endpoint", peer.endpointSpec("pod-a"), "--once", "-o", "json",
                    "--interval", "1s");
            assertEquals(0, r.exitCode(), r.err());
            JsonArray rows = JsonParser.parseString(r.out()).getAsJsonArray();
            assertEquals(1, rows.size(), r.out());
            JsonObject row = rows.get(0).getAsJsonObject();
            assertEquals("pod-a", row.get("source").getAsString());
            assertEquals(5, row.get("stored").getAsLong());
            assertEquals(1, row.get("removed").getAsLong());
            assertEquals(4, row.get("resident").getAsLong());
            assertTrue(row.get("lagMillis").isJsonNull(), "replayed batches have no live lag: " + row);
            assertEquals(0, row.get("gaps").getAsLong());
        }
    }

    @Test
    void withoutATerminalEachLookIsRowsWithTheTimeAndTheHeaderOnce() throws Exception {
        try (VllmPeer peer = VllmPeer.start("--clock", "wall")) {
            CompletableFuture<Result> top = CompletableFuture.supplyAsync(() -> CliHarness.run("top", "--endpoint",
                    peer.endpointSpec("pod-a"), "--interval", "500ms", "--timeout", "3s"));
            for (int i = 0; i < 10; i++) {
                Thread.sleep(200);
                peer.publish(1);
            }
            Result r = top.get(30, TimeUnit.SECONDS);
            assertEquals(0, r.exitCode(), r.err());
            List<String> lines = r.outLines();
            assertTrue(lines.get(0).matches("TIME +SOURCE +EVENTS/S +STORED +REMOVED +LAG +GAPS +LOST +RESTARTS +RESIDENT"
                    + " +LAST-EVENT"), r.out());
            assertEquals(1, lines.stream().filter(l -> l.startsWith("TIME")).count(), r.out());
            assertTrue(lines.size() >= 4, "a row every 500 ms for 3 s: " + r.out());
            assertTrue(lines.subList(1, lines.size()).stream().allMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d +pod-a .*")), r.out());
            String last = lines.get(lines.size() - 1);
            assertTrue(last.matches("\\S+ +pod-a +[\\d.]+ +10 +2 +\\d+ms +0 +0 +0 +8 +\\d+s ago"), "10 live batches stored,"
                    + " 2 removed, 8 resident, a lag in ms: " + last);
        }
    }

    /**
     * A source that never connects is told as tail and cache-probe tell it, and the exit is 1 (found in review: top
     * printed no row for it, nothing on stderr, and exited 0).
     */
    @Test
    void aSourceThatNeverConnectsIsAnErrorAndExitOne() {
        try (VllmPeer peer = VllmPeer.start()) {
            peer.publish(2);
            Result r = CliHarness.run("top", "--endpoint", peer.endpointSpec("pod-a"), "--endpoint",
                    "pod-x=tcp://127.0.0.1:1", "--once", "-o", "json", "--interval", "500ms");
            assertEquals(1, r.exitCode(), r.err());
            assertTrue(r.errLines().contains("error: pod-x: could not connect to tcp://127.0.0.1:1 (is the engine running"
                    + " with --kv-events-config and the port reachable?)"), "stderr: " + r.err() + "\nstdout: " + r.out());
            JsonArray rows = JsonParser.parseString(r.out()).getAsJsonArray();
            assertTrue(rows.asList().stream().anyMatch(row -> row.getAsJsonObject().get("source").getAsString()
                    .equals("pod-a")), "the rows of the sources read are still printed: " + r.out());
        }
    }
}
