package io.kvevents.cli;

import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IFactory;
import picocli.CommandLine.Model.CommandSpec;

/** {@code kubectl-kvevents}: the only place that exits the JVM. */
public final class Main {
    /** A subcommand as the root's usage lists it; its constants are its {@code @Command}'s name and header. */
    private record Subcommand(String name, String header, Class<?> type) {
    }

    /** The commands, in the order the usage lists them. */
    private static final List<Subcommand> COMMANDS = List.of(
            new Subcommand(EnableCommand.NAME, EnableCommand.HEADER, EnableCommand.class),
            new Subcommand(DisableCommand.NAME, DisableCommand.HEADER, DisableCommand.class),
            new Subcommand(StatusCommand.NAME, StatusCommand.HEADER, StatusCommand.class),
            new Subcommand(DoctorCommand.NAME, DoctorCommand.HEADER, DoctorCommand.class),
            new Subcommand(HistoryCommand.NAME, HistoryCommand.HEADER, HistoryCommand.class),
            new Subcommand(CompareCommand.NAME, CompareCommand.HEADER, CompareCommand.class),
            new Subcommand(TailCommand.NAME, TailCommand.HEADER, TailCommand.class),
            new Subcommand(TopCommand.NAME, TopCommand.HEADER, TopCommand.class),
            new Subcommand(CacheProbeCommand.NAME, CacheProbeCommand.HEADER, CacheProbeCommand.class),
            new Subcommand(SimulateCommand.NAME, SimulateCommand.HEADER, SimulateCommand.class),
            new Subcommand(BenchCommand.NAME, BenchCommand.HEADER, BenchCommand.class),
            new Subcommand(MonitoringCommand.NAME, MonitoringCommand.HEADER, MonitoringCommand.class),
            new Subcommand(CompletionCommand.NAME, CompletionCommand.HEADER, CompletionCommand.class),
            new Subcommand(VersionCommand.NAME, VersionCommand.HEADER, VersionCommand.class));

    private Main() {
    }

    /**
     * The command the arguments name: the first word that is not an option, {@code ""} when there is
     * none, null (build every command, for picocli's suggestions) when it names no command.
     */
    static String invoked(String[] args) {
        for (String arg : args) {
            if (!arg.startsWith("-")) {
                for (Subcommand command : COMMANDS) {
                    if (command.name().equals(arg)) {
                        return arg;
                    }
                }
                return null;
            }
        }
        return "";
    }

    public static void main(String[] args) {
        PrintWriter out = new PrintWriter(new BufferedWriter(
                new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16), false);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        boolean completing = args.length > 0 && args[0].equals(Completion.COMMAND);
        String invoked = invoked(args);
        // the kubectl shim and the completion scripts describe every command: build them all
        CommandLine cli = commandLine(out, err, completing || CompletionCommand.NAME.equals(invoked) ? null : invoked);
        int code = completing
                ? Completion.complete(cli, List.of(args).subList(1, args.length), out)
                : cli.execute(args);
        out.flush();
        err.flush();
        System.exit(code);
    }

    /** The configured command line, every command complete, writing to the given streams (tests pass their own). */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, null);
    }

    /**
     * The command line with {@code only} complete and the other commands as names and headers: building a
     * command's model (its options, mixins and converters, by reflection on its annotations) is most of a
     * short run's start-up, and {@code kubectl kvevents --help} needs no command's model at all.
     *
     * @param only the command the arguments invoke, {@code ""} for none, null for every command complete
     */
    static CommandLine commandLine(PrintWriter out, PrintWriter err, String only) {
        IFactory factory = new LazyFactory();
        CommandLine cli = new CommandLine(KvEventsCommand.spec(factory), factory);
        for (Subcommand command : COMMANDS) {
            if (only == null || only.equals(command.name())) {
                cli.addSubcommand(command.name(), new CommandLine(command.type(), factory));
            } else {
                CommandSpec placeholder = CommandSpec.wrapWithoutInspection(null, factory).name(command.name());
                placeholder.usageMessage().header(command.header());
                cli.addSubcommand(command.name(), placeholder);
            }
        }
        cli.setOut(out);
        cli.setErr(err);
        cli.setExecutionExceptionHandler(new ErrorHandler());
        cli.setParameterExceptionHandler(new ErrorHandler());
        cli.setCaseInsensitiveEnumValuesAllowed(true);
        // an unknown option is an error, never the value of the option before it (tail --from F --tail 5)
        cli.setUnmatchedOptionsAllowedAsOptionParameters(false);
        // kubectl has no @file arguments: "--prompt @alice" is that text, never the contents of a file named alice
        cli.setExpandAtFiles(false);
        return cli;
    }
}
