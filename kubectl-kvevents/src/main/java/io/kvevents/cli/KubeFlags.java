package io.kvevents.cli;

import io.kvevents.sdk.KubeContext;
import java.nio.file.Path;
import java.time.Duration;
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

    @Option(names = {"-s", "--server"}, paramLabel = "URL", description = "The API server, over the kubeconfig's.")
    String server;

    @Option(names = "--token", paramLabel = "TOKEN", description = "Bearer token for the API server.")
    String token;

    @Option(names = "--user", paramLabel = "NAME", description = "The kubeconfig user to use.")
    String user;

    @Option(names = "--cluster", paramLabel = "NAME", description = "The kubeconfig cluster to use.")
    String cluster;

    @Option(names = "--as", paramLabel = "USER", description = "Impersonate this user.")
    String as;

    @Option(names = "--as-group", paramLabel = "GROUP", description = "Impersonate this group (repeatable).")
    List<String> asGroups = new ArrayList<>();

    @Option(names = "--as-uid", paramLabel = "UID", description = "Impersonate this UID.")
    String asUid;

    @Option(names = "--insecure-skip-tls-verify", description = "Do not verify the server's certificate (insecure).")
    boolean insecureSkipTlsVerify;

    @Option(names = "--certificate-authority", paramLabel = "FILE", description = "The CA to verify the server with.")
    Path certificateAuthority;

    @Option(names = "--request-timeout", paramLabel = "D", converter = DurationConverter.class,
            description = "How long one API request may take: 30s, 2m, or seconds; 0 is no limit (default: 30s).")
    Duration requestTimeout;

    KubeContext toContext() {
        List<Path> files = new ArrayList<>();
        if (kubeconfig != null) {
            // one file, as client-go takes --kubeconfig (ExplicitPath, client-go loader.go): only $KUBECONFIG is a list
            files.add(Path.of(kubeconfig));
        }
        return new KubeContext(files, context, namespace, allNamespaces, new KubeContext.Access(server, token, user,
                cluster, as, asGroups, asUid, insecureSkipTlsVerify, certificateAuthority, requestTimeout));
    }
}
