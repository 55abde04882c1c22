package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** The root command is built by hand for start-up; these pin it to what the annotations would have made. */
class RootCommandTest {

    @Test
    void theHelpAndVersionOptionsAreThoseOfPicocliStandardMixin() {
        CommandSpec standard = CommandSpec.create().mixinStandardHelpOptions(true);
        CommandSpec root = KvEventsCommand.spec(new LazyFactory());
        for (String name : List.of("--help", "--version")) {
            OptionSpec expected = standard.findOption(name);
            OptionSpec actual = root.findOption(name);
            assertEquals(List.of(expected.names()), List.of(actual.names()), name);
            assertEquals(List.of(expected.description()), List.of(actual.description()), name);
            assertEquals(expected.usageHelp(), actual.usageHelp(), name);
            assertEquals(expected.versionHelp(), actual.versionHelp(), name);
        }
        assertEquals("Usage: kubectl kvevents [-hvV] [COMMAND]", CliHarness.run("--help").out().lines().findFirst().orElseThrow());
        assertEquals("kubectl-kvevents " + VersionProvider.version(), CliHarness.run("--version").out().strip());
    }

    /**
     * {@code kubectl kvevents} alone prints the help and exits 0, as kubectl and the cobra-based plugins do (a cobra
     * command without Run prints its help); before, it was "error: Missing required subcommand" and exit 2.
     */
    @Test
    void withoutACommandItPrintsTheHelp() {
        for (String[] args : List.of(new String[0], new String[] {"-v"})) {
            CliHarness.Result r = CliHarness.run(args);
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.out().startsWith("Usage: kubectl kvevents"), r.out());
            assertTrue(r.out().contains("cache-probe"), r.out());
            assertEquals("", r.err());
        }
    }

    @Test
    void verboseIsSeenBeforeAndAfterTheSubcommand() {
        for (List<String> args : List.of(List.of("-v", "version"), List.of("version", "--verbose"))) {
            CommandLine cli = Main.commandLine(quiet(), quiet(), "version");
            cli.parseArgs(args.toArray(String[]::new));
            assertTrue(KvEventsCommand.verbose(cli.getSubcommands().get("version").getCommandSpec()), args.toString());
        }
        CommandLine cli = Main.commandLine(quiet(), quiet(), "version");
        cli.parseArgs("version");
        assertFalse(KvEventsCommand.verbose(cli.getSubcommands().get("version").getCommandSpec()));
    }

    /** Main's table pairs each command class with its own NAME and HEADER (a slip would list the wrong header). */
    @Test
    void theListedNamesAndHeadersAreTheCommandsOwn() {
        Map<String, CommandLine> lazy = Main.commandLine(quiet(), quiet(), "").getSubcommands();
        Map<String, CommandLine> built = Main.commandLine(quiet(), quiet(), null).getSubcommands();
        assertEquals(List.copyOf(built.keySet()), List.copyOf(lazy.keySet()));
        for (Map.Entry<String, CommandLine> e : built.entrySet()) {
            Command annotation = e.getValue().getCommand().getClass().getAnnotation(Command.class);
            assertEquals(annotation.name(), e.getKey());
            assertEquals(List.of(annotation.header()), List.of(lazy.get(e.getKey()).getCommandSpec().usageMessage().header()));
        }
    }

    private static PrintWriter quiet() {
        return new PrintWriter(new StringWriter());
    }

    /**
     * Issue 14: each command's help reads as kubectl's: a one-line synopsis ({@code [OPTIONS]}), a description
     * filled to the width instead of broken where the source broke it, and Examples.
     */
    @org.junit.jupiter.params.ParameterizedTest
    @org.junit.jupiter.params.provider.ValueSource(strings = {"enable", "disable", "status", "tail", "cache-probe",
        "simulate", "bench"})
    void helpHasASynopsisAFilledDescriptionAndExamples(String command) {
        CliHarness.Result r = CliHarness.run(command, "--help");
        java.util.List<String> lines = r.outLines();
        org.junit.jupiter.api.Assertions.assertTrue(lines.get(1).matches("Usage: kubectl kvevents " + command
                + " \\[OPTIONS\\].*"), lines.get(1));
        java.util.List<String> description = new java.util.ArrayList<>();
        for (int i = 2; i < lines.size() && !lines.get(i).startsWith(" "); i++) {
            description.add(lines.get(i));
        }
        org.junit.jupiter.api.Assertions.assertFalse(description.isEmpty(), r.out());
        for (int i = 0; i < description.size() - 1; i++) {
            org.junit.jupiter.api.Assertions.assertTrue(description.get(i).length() > 60,
                    "filled, not ragged: '" + description.get(i) + "' in\n" + r.out());
        }
        org.junit.jupiter.api.Assertions.assertTrue(r.out().contains("\nExamples:\n  # "), r.out());
        org.junit.jupiter.api.Assertions.assertTrue(r.out().contains("\n  kubectl kvevents " + command), r.out());
    }
}
