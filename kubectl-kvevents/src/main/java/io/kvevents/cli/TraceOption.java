package io.kvevents.cli;

import io.kvevents.sdk.TraceRequest;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * {@code --trace FILE}: a Mooncake workload trace; by default the conversation trace of examples/traces, which the
 * build puts inside the plugin so that {@code bench} and {@code simulate} run from any folder (a krew install has
 * no examples/).
 */
final class TraceOption {
    static final String SHIPPED = "mooncake-conversation-trace.jsonl";

    @Option(names = "--trace", paramLabel = "FILE",
            description = "A Mooncake trace (JSON Lines of hash_ids); default: the conversation trace shipped inside"
                    + " the plugin (examples/traces/" + SHIPPED + ").")
    Path trace;

    /** The trace's first {@code limit} requests. */
    List<TraceRequest> read(int limit) {
        if (trace != null) {
            if (!Files.isReadable(trace)) {
                throw new CliException(ExitCodes.FAILURE, "trace " + trace + " does not exist or cannot be read");
            }
            return TraceRequest.read(trace, limit);
        }
        InputStream shipped = TraceOption.class.getResourceAsStream("/traces/mooncake-conversation-trace.jsonl");
        if (shipped == null) {
            throw new CliException(ExitCodes.FAILURE, "this build of the plugin lacks its shipped trace " + SHIPPED
                    + ": give --trace FILE, or rebuild with 'mvn -B -q -DskipTests package'");
        }
        try (BufferedReader in = new BufferedReader(new InputStreamReader(shipped, StandardCharsets.UTF_8))) {
            return TraceRequest.read(in, "the shipped " + SHIPPED, limit);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the shipped " + SHIPPED + ": " + e.getMessage(), e);
        }
    }
}
