package io.kvevents.cli;

import io.kvevents.sdk.EventStream;
import io.kvevents.sdk.ModelPods;
import io.kvevents.sdk.SourceSpec;
import io.kvevents.sdk.StreamOptions;
import java.nio.file.Path;
import java.util.List;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Where events come from: a model's pods through Kubernetes (port-forward), publishers
 * ({@code --endpoint}) or recordings ({@code --from}).
 */
final class SourceOptions {

    @Parameters(arity = "0..*", paramLabel = "MODEL|POD",
            description = "A model Deployment (its ready pods, followed as they come and go) or pods, reached through"
                    + " port-forward.")
    List<String> targets = List.of();

    @Mixin
    KubeFlags kube;

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

    private ModelPods pods;

    /** Opens the stream the options name, or says what is missing. */
    EventStream open(String what) {
        int given = (targets.isEmpty() ? 0 : 1) + (endpoints.isEmpty() ? 0 : 1) + (recordings.isEmpty() ? 0 : 1);
        if (given == 0) {
            throw CliException.usage("nothing to " + what + ": name a MODEL (or pods), or give --endpoint"
                    + " NAME=tcp://HOST:PORT[,replay=tcp://HOST:PORT] or --from FILE");
        }
        if (given > 1) {
            throw CliException.usage("give one of MODEL|POD, --endpoint, --from");
        }
        if (fromSeq < 0) {
            throw CliException.usage("--from-seq must be 0 or more, got " + fromSeq);
        }
        StreamOptions options = StreamOptions.DEFAULT.fromSeq(fromSeq);
        if (!targets.isEmpty()) {
            return pods().events(options);
        }
        return recordings.isEmpty() ? EventStream.connect(endpoints, options) : EventStream.replay(recordings, options);
    }

    /** The pods the targets name (found once). */
    ModelPods pods() {
        if (targets.isEmpty()) {
            throw CliException.usage("name a MODEL or pods to reach them through Kubernetes");
        }
        if (kube.allNamespaces) {
            throw CliException.usage("-A does not apply here: a model's pods are in one namespace (give -n NAMESPACE)");
        }
        if (pods == null) {
            pods = ModelPods.find(kube.toContext(), targets);
        }
        return pods;
    }

    /** Closes the port-forwards opened outside the stream (the tokenizer's). */
    void close() {
        if (pods != null) {
            pods.close();
        }
    }
}
