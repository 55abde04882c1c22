package io.kvevents.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/** {@code kubectl kvevents}: only holds the subcommands ({@link Main} adds them). */
@Command(name = "kubectl kvevents",
        mixinStandardHelpOptions = true,
        versionProvider = VersionProvider.class,
        description = "See, probe and manage vLLM KV-cache event sync.",
        usageHelpAutoWidth = true)
final class KvEventsCommand {

    @Option(names = {"-v", "--verbose"}, scope = ScopeType.INHERIT,
            description = "Print stack traces with errors.")
    boolean verbose;
}
