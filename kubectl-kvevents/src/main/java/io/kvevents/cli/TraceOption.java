package io.kvevents.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --trace FILE}: a Mooncake workload trace; defaults to the one shipped in examples/. */
final class TraceOption {
    static final Path SHIPPED = Path.of("examples/traces/mooncake-conversation-trace.jsonl");

    @Option(names = "--trace", paramLabel = "FILE",
            description = "A Mooncake trace (JSON Lines of hash_ids); default: " + "examples/traces/mooncake-conversation-trace.jsonl.")
    Path trace;

    Path path() {
        Path p = trace != null ? trace : SHIPPED;
        if (!Files.isReadable(p)) {
            throw new CliException(trace == null ? ExitCodes.USAGE : ExitCodes.FAILURE, trace == null
                    ? "no trace: give --trace FILE (a Mooncake trace such as examples/traces/mooncake-conversation-trace.jsonl)"
                    : "trace " + p + " does not exist or cannot be read");
        }
        return p;
    }
}
