package io.kvevents.cli;

import io.kvevents.sdk.EventStream;
import io.kvevents.sdk.SourceSpec;
import io.kvevents.sdk.StreamOptions;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Where events come from: publishers ({@code --endpoint}) or recordings ({@code --from}). */
final class SourceOptions {

    @Parameters(arity = "0..*", paramLabel = "MODEL|POD", description = "Reserved: a model's pods through Kubernetes"
            + " (not in this version: use --endpoint or --from).")
    List<String> targets = List.of();

    @Option(names = "--endpoint", paramLabel = "NAME=tcp://HOST:PORT[,replay=tcp://HOST:PORT]",
            converter = EndpointConverter.class,
            description = "A publisher to read without Kubernetes (repeatable).")
    List<SourceSpec> endpoints = List.of();

    @Option(names = "--from", paramLabel = "FILE", arity = "1..*",
            description = "Play recordings back instead (written by tail --record).")
    List<Path> recordings = List.of();

    @Option(names = "--from-seq", paramLabel = "N", defaultValue = "0",
            description = "Replay from this sequence number (default: ${DEFAULT-VALUE}, all the publisher holds).")
    long fromSeq;

    /** Opens the stream the options name, or says what is missing. */
    EventStream open(String what) {
        if (!targets.isEmpty()) {
            throw CliException.usage("finding the pods of " + String.join(", ", targets) + " through Kubernetes is not"
                    + " available in this version: give their publishers with --endpoint NAME=tcp://HOST:PORT,replay=tcp://HOST:PORT"
                    + " (kubectl port-forward pod/NAME 5557 5558) or recordings with --from FILE");
        }
        if (endpoints.isEmpty() && recordings.isEmpty()) {
            throw CliException.usage("nothing to " + what + ": give --endpoint NAME=tcp://HOST:PORT[,replay=tcp://HOST:PORT]"
                    + " or --from FILE");
        }
        if (!endpoints.isEmpty() && !recordings.isEmpty()) {
            throw CliException.usage("give either --endpoint or --from, not both");
        }
        if (fromSeq < 0) {
            throw CliException.usage("--from-seq must be 0 or more, got " + fromSeq);
        }
        StreamOptions options = StreamOptions.DEFAULT.fromSeq(fromSeq);
        return recordings.isEmpty() ? EventStream.connect(endpoints, options) : EventStream.replay(recordings, options);
    }
}
