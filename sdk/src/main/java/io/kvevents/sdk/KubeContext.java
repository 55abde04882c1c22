package io.kvevents.sdk;

import java.nio.file.Path;
import java.util.List;

/**
 * Which cluster and namespace, as kubectl's flags say: kubeconfig files ({@code --kubeconfig}, else
 * {@code $KUBECONFIG}, else {@code ~/.kube/config}), the context, the namespace (else the context's, else
 * {@code default}), or every namespace.
 */
public record KubeContext(List<Path> kubeconfig, String context, String namespace, boolean allNamespaces) {

    public KubeContext {
        kubeconfig = kubeconfig == null ? List.of() : List.copyOf(kubeconfig);
    }

    /** The current context of the default kubeconfig, its namespace. */
    public static KubeContext defaults() {
        return new KubeContext(List.of(), null, null, false);
    }
}
