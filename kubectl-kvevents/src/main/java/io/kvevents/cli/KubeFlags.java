package io.kvevents.cli;

import io.kvevents.sdk.KubeContext;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** kubectl's flags for reaching a cluster. */
final class KubeFlags {

    @Option(names = "--kubeconfig", paramLabel = "FILE", description = "The kubeconfig (default: $KUBECONFIG, then ~/.kube/config).")
    String kubeconfig;

    @Option(names = "--context", paramLabel = "NAME", description = "The kubeconfig context (default: its current one).")
    String context;

    @Option(names = {"-n", "--namespace"}, paramLabel = "NS", description = "The namespace (default: the context's).")
    String namespace;

    @Option(names = {"-A", "--all-namespaces"}, description = "Every namespace.")
    boolean allNamespaces;

    KubeContext toContext() {
        List<Path> files = new ArrayList<>();
        if (kubeconfig != null) {
            for (String f : kubeconfig.split(java.io.File.pathSeparator)) {
                files.add(Path.of(f));
            }
        }
        return new KubeContext(files, context, namespace, allNamespaces);
    }
}
