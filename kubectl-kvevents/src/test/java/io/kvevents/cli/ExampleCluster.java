package io.kvevents.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.kvevents.sdk.FakeApiServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The test API server ({@link FakeApiServer}) holding the example manifests (the vLLM Deployment with its
 * Service, the gateway), and a kubeconfig that points at it.
 */
final class ExampleCluster implements AutoCloseable {
    private final FakeApiServer api;
    final KubernetesClient fabric8;
    final Path kubeconfig;

    ExampleCluster(Path dir) throws IOException {
        api = new FakeApiServer();
        fabric8 = api.client;
        for (String f : List.of("llama-deployment.yaml", "gateway-deployment.yaml")) {
            api.create(Files.readString(EnableDisableLocalTest.MANIFESTS.resolve(f)));
        }
        kubeconfig = api.kubeconfig(dir, "default");
    }

    @Override
    public void close() {
        api.close();
    }

    static ExampleCluster start(Path dir) {
        try {
            return new ExampleCluster(dir);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
