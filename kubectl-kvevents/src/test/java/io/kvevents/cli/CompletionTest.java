package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompletionTest {
    private static List<String> complete(String... words) {
        StringWriter out = new StringWriter();
        PrintWriter w = new PrintWriter(out);
        Completion.complete(Main.commandLine(w, w), List.of(words), w);
        return List.of(out.toString().split("\n"));
    }

    @Test
    void anEmptyWordListsTheCommands() {
        assertEquals(List.of("enable", "disable", "status", "doctor", "history", "compare", "tail", "top", "cache-probe", "simulate", "bench", "monitoring", "completion", "version", ":4"),
                complete(""));
    }

    @Test
    void aDashCompletesTheCommandsLongOptions() {
        assertEquals(List.of("--token", "--timeout", "--types", ":4"), complete("tail", "--t"));
    }

    @Test
    void anOptionValueCompletesFromItsCandidates() {
        assertEquals(List.of("text", "json", ":4"), complete("tail", "-o", ""));
        assertEquals(List.of("table", "wide", "json", "heatmap", ":4"), complete("cache-probe", "--output", ""));
        assertEquals(List.of("bash", "zsh", ":4"), complete("completion", ""));
    }

    @Test
    void aFileOptionLeavesFileNamesToTheShell() {
        List<String> c = complete("tail", "--from", "");
        assertEquals(":0", c.get(c.size() - 1));
    }

    @Test
    void completionBashPrintsAScriptForTheStandaloneBinary() {
        CliHarness.Result r = CliHarness.run("completion", "bash");
        assertEquals(0, r.exitCode());
        assertTrue(r.out().contains("complete -F _complete_kubectl-kvevents"), r.out().lines().limit(5).toList().toString());
    }

    @Test
    void everyCommandAnswersHelpWithItsUsage() {
        for (String command : Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .getSubcommands().keySet()) {
            CliHarness.Result r = CliHarness.run(command, "--help");
            assertEquals(0, r.exitCode(), command + ": " + r.err());
            assertTrue(r.out().contains("Usage: kubectl kvevents " + command), command + ": " + r.out());
        }
    }

    @Test
    void aModelCompletesFromTheClustersVllmDeployments(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        try (io.kvevents.sdk.FakeApiServer api = new io.kvevents.sdk.FakeApiServer().deployment("ml", "llama-3-8b")
                .deployment("ml", "mistral-7b")) {
            String kubeconfig = api.kubeconfig(dir, "default").toString();
            assertEquals(List.of("llama-3-8b", ":4"), complete("tail", "--kubeconfig", kubeconfig, "-n", "ml", "ll"));
            assertEquals(List.of("llama-3-8b", ":4"), complete("tail", "--kubeconfig=" + kubeconfig, "--namespace=ml", "ll"));
            assertEquals(List.of(":4", "llama-3-8b", "mistral-7b"),
                    complete("enable", "--kubeconfig", kubeconfig, "--namespace", "ml", "").stream().sorted().toList());
        }
        // no cluster: no candidates and no error in the shell
        assertEquals(List.of(":4"), complete("status", "--kubeconfig", dir.resolve("none").toString(), ""));
    }

    @Test
    void onlyTheInvokedCommandIsBuiltAndTheOthersStillListWithTheirHeaders() {
        assertEquals("tail", Main.invoked(new String[] {"-v", "tail", "llama"}));
        assertEquals("", Main.invoked(new String[] {"--help"}));
        assertEquals(null, Main.invoked(new String[] {"tial"}), "a typo builds every command, for picocli's suggestion");
        StringWriter lazy = new StringWriter();
        PrintWriter w = new PrintWriter(lazy);
        assertEquals(0, Main.commandLine(w, w, "").execute("--help"));
        w.flush();
        assertEquals(CliHarness.run("--help").out(), lazy.toString(), "the top-level usage is the same either way");
        StringWriter tail = new StringWriter();
        PrintWriter t = new PrintWriter(tail);
        assertEquals(0, Main.commandLine(t, t, "tail").execute("tail", "--help"));
        t.flush();
        assertTrue(tail.toString().contains("--max-events=N"), tail.toString());
    }
}
