package io.kvevents.cli;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code completion bash|zsh}: a completion script for the standalone {@code kubectl-kvevents} binary. */
@Command(name = CompletionCommand.NAME,
        mixinStandardHelpOptions = true,
        header = CompletionCommand.HEADER,
        description = {"Print a shell completion script for kubectl-kvevents (bash, or zsh through bashcompinit):",
            "  source <(kubectl-kvevents completion bash)",
            "Through kubectl (1.26+), kubectl_complete-kvevents beside the binary completes `kubectl kvevents`."})
final class CompletionCommand implements Callable<Integer> {
    static final String NAME = "completion";
    static final String HEADER = "Print a shell completion script.";

    /** Shells. */
    enum Shell { bash, zsh }

    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "SHELL", description = "${COMPLETION-CANDIDATES}")
    Shell shell;

    @Override
    public Integer call() {
        // picocli's script serves both: under zsh it loads bashcompinit itself.
        spec.commandLine().getOut().print(AutoComplete.bash("kubectl-kvevents", spec.root().commandLine()));
        spec.commandLine().getOut().flush();
        return ExitCodes.OK;
    }
}
