package io.kvevents.sdk;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * Which cluster and namespace, as kubectl's flags say: kubeconfig files ({@code --kubeconfig}, else
 * {@code $KUBECONFIG}, else {@code $HOME/.kube/config}), the context, the namespace (else the context's, else
 * {@code default}), or every namespace; and kubectl's overrides of what the kubeconfig says ({@link Access}).
 */
public record KubeContext(List<Path> kubeconfig, String context, String namespace, boolean allNamespaces,
        Access access) {

    /**
     * kubectl's flags that override the kubeconfig: {@code --server}, {@code --token}, {@code --user},
     * {@code --cluster}, {@code --as}, {@code --as-group}, {@code --as-uid}, {@code --insecure-skip-tls-verify},
     * {@code --certificate-authority}, {@code --request-timeout} (null: the command's own limits; zero: no limit,
     * as kubectl).
     */
    public record Access(String server, String token, String user, String cluster, String as, List<String> asGroups,
            String asUid, boolean insecureSkipTlsVerify, Path certificateAuthority, Duration requestTimeout) {

        /** Nothing overridden. */
        public static final Access NONE = new Access(null, null, null, null, null, List.of(), null, false, null, null);

        public Access {
            asGroups = asGroups == null ? List.of() : List.copyOf(asGroups);
        }
    }

    public KubeContext {
        kubeconfig = kubeconfig == null ? List.of() : List.copyOf(kubeconfig);
        access = access == null ? Access.NONE : access;
    }

    /** The kubeconfig's own access: no flag overrides it. */
    public KubeContext(List<Path> kubeconfig, String context, String namespace, boolean allNamespaces) {
        this(kubeconfig, context, namespace, allNamespaces, Access.NONE);
    }

    /** The current context of the default kubeconfig, its namespace. */
    public static KubeContext defaults() {
        return new KubeContext(List.of(), null, null, false);
    }

    /** The same context in another namespace. */
    public KubeContext inNamespace(String ns) {
        return new KubeContext(kubeconfig, context, ns, false, access);
    }
}
