package io.kvevents.cli;

import picocli.CommandLine.IFactory;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ScopeType;

/**
 * {@code kubectl kvevents}: the root command, built with picocli's programmatic API rather than annotations.
 * Reading the first annotation makes the JVM generate proxy classes with its bundled ASM, in the interpreter,
 * which was a fifth of {@code kubectl kvevents --help}'s wall time; the root is the one model every run builds.
 */
final class KvEventsCommand {
    static final String NAME = "kubectl kvevents";
    static final String VERBOSE = "--verbose";

    private KvEventsCommand() {
    }

    /**
     * A new root command with the standard help and version options and the inherited {@code --verbose}.
     *
     * @param factory what creates the commands and the values of their options
     */
    static CommandSpec spec(IFactory factory) {
        // run without a command, it prints its help and exits 0, as kubectl and cobra-based plugins do (krew, …)
        CommandSpec[] self = new CommandSpec[1];
        java.util.concurrent.Callable<Integer> help = () -> {
            self[0].commandLine().usage(self[0].commandLine().getOut());
            return ExitCodes.OK;
        };
        CommandSpec root = CommandSpec.wrapWithoutInspection(help, factory).name(NAME)
                .versionProvider(new VersionProvider());
        self[0] = root;
        root.usageMessage().description("See, probe and manage vLLM KV-cache event sync.").autoWidth(true);
        // The texts of picocli's mixinStandardHelpOptions, which would be read from its annotated mixin.
        root.addOption(OptionSpec.builder("-h", "--help").usageHelp(true)
                .description("Show this help message and exit.").build());
        root.addOption(OptionSpec.builder("-V", "--version").versionHelp(true)
                .description("Print version information and exit.").build());
        root.addOption(OptionSpec.builder("-v", VERBOSE).type(boolean.class).scopeType(ScopeType.INHERIT)
                .description("Print stack traces with errors.").build());
        return root;
    }

    /** Whether {@code --verbose} was given, before or after the subcommand. */
    static boolean verbose(CommandSpec command) {
        // An inherited option's copies share the root's binding, so the root holds the value either way.
        Boolean verbose = command.root().findOption(VERBOSE).getValue();
        return Boolean.TRUE.equals(verbose);
    }
}
