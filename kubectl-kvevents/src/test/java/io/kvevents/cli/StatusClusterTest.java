package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.kvevents.cli.CliHarness.Result;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code status} against a real HTTP API server (fabric8's mock server, CRUD mode), through the kubectl flags. */
class StatusClusterTest {
    @TempDir
    Path dir;

    @Test
    void statusReadsTheModelsOfTheNamespaceFromTheApiServer() throws Exception {
        KubernetesMockServer server = new KubernetesMockServer(new Context(), new MockWebServer(), new HashMap<>(),
                new KubernetesCrudDispatcher(), false);
        server.init();
        try (KubernetesClient fabric8 = server.createClient()) {
            for (String f : List.of("llama-deployment.yaml", "gateway-deployment.yaml")) {
                try (InputStream in = Files.newInputStream(EnableDisableLocalTest.MANIFESTS.resolve(f))) {
                    fabric8.load(in).create();
                }
            }
            Path kubeconfig = dir.resolve("config");
            Files.writeString(kubeconfig, """
                    apiVersion: v1
                    kind: Config
                    clusters: [{name: test, cluster: {server: "%s"}}]
                    users: [{name: tester, user: {token: not-a-secret}}]
                    contexts: [{name: test, context: {cluster: test, user: tester}}]
                    current-context: test
                    """.formatted(fabric8.getConfiguration().getMasterUrl()));
            Result r = CliHarness.run("status", "--kubeconfig", kubeconfig.toString(), "-n", "default");
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.outLines().get(1).matches("llama-3-8b +default +off +--kv-events-config flag; .*"), r.out());
            Result none = CliHarness.run("status", "--kubeconfig", kubeconfig.toString(), "-n", "elsewhere");
            assertEquals(List.of("error: no vLLM Deployment in namespace elsewhere"), none.errLines());
            assertEquals(1, none.exitCode());
        } finally {
            server.destroy();
        }
        Result missing = CliHarness.run("status", "--kubeconfig", dir.resolve("nope").toString());
        assertEquals(List.of("error: no kubeconfig: tried [" + dir.resolve("nope") + "]; give --kubeconfig FILE (or set KUBECONFIG)"),
                missing.errLines());
    }
}
