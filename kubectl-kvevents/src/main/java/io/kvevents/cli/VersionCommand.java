package io.kvevents.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents version}. */
@Command(name = VersionCommand.NAME,
        mixinStandardHelpOptions = true,
        header = VersionCommand.HEADER)
final class VersionCommand implements Callable<Integer> {
    static final String NAME = "version";
    static final String HEADER = "Print the plugin's version.";

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println("kubectl-kvevents " + VersionProvider.version());
        return ExitCodes.OK;
    }
}
