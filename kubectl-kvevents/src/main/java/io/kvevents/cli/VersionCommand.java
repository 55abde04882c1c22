package io.kvevents.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents version}. */
@Command(name = "version",
        mixinStandardHelpOptions = true,
        header = "Print the plugin's version.")
final class VersionCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().getOut().println("kubectl-kvevents " + VersionProvider.version());
        return ExitCodes.OK;
    }
}
