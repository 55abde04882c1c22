package io.kvevents.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;

/**
 * A real HTTP API server (fabric8's mock server, CRUD mode) holding the example manifests (the vLLM
 * Deployment with its Service, the gateway), and a kubeconfig that points at it.
 */
final class ExampleCluster implements AutoCloseable {
    private final KubernetesMockServer server;
    final KubernetesClient fabric8;
    final Path kubeconfig;

    ExampleCluster(Path dir) throws IOException {
        server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(),
                false);
        server.init();
        fabric8 = server.createClient();
        for (String f : List.of("llama-deployment.yaml", "gateway-deployment.yaml")) {
            try (InputStream in = Files.newInputStream(EnableDisableLocalTest.MANIFESTS.resolve(f))) {
                fabric8.load(in).create();
            }
        }
        kubeconfig = dir.resolve("config");
        Files.writeString(kubeconfig, """
                apiVersion: v1
                kind: Config
                clusters: [{name: test, cluster: {server: "%s"}}]
                users: [{name: tester, user: {token: not-a-secret}}]
                contexts: [{name: test, context: {cluster: test, user: tester}}]
                current-context: test
                """.formatted(fabric8.getConfiguration().getMasterUrl()));
    }

    @Override
    public void close() {
        fabric8.close();
        server.destroy();
    }

    static ExampleCluster start(Path dir) {
        try {
            return new ExampleCluster(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
