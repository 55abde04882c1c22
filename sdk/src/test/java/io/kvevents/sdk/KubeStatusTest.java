package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** status against a real HTTP API server in the test ({@link FakeApiServer}: fabric8's mock server in CRUD mode). */
class KubeStatusTest {
    private FakeApiServer api;
    private KubernetesClient fabric8;

    @TempDir
    Path dir;

    @BeforeEach
    void startServer() {
        api = new FakeApiServer();
        fabric8 = api.client;
    }

    @AfterEach
    void stopServer() {
        api.close();
    }

    private void create(List<Map<String, Object>> objects) {
        for (Map<String, Object> o : objects) {
            fabric8.load(new ByteArrayInputStream(Manifests.write(List.of(o)).getBytes(StandardCharsets.UTF_8))).create();
        }
    }

    private KubeContext kubeconfig(String url, String namespace) throws IOException {
        Path file = dir.resolve("kubeconfig");
        Files.writeString(file, """
                apiVersion: v1
                kind: Config
                clusters:
                  - name: test
                    cluster:
                      server: %s
                users:
                  - name: tester
                    user:
                      token: not-a-secret
                contexts:
                  - name: test
                    context:
                      cluster: test
                      user: tester
                      namespace: %s
                current-context: test
                """.formatted(url, namespace));
        return new KubeContext(List.of(file), null, null, false);
    }

    private String url() {
        return fabric8.getConfiguration().getMasterUrl().replaceAll("/$", "");
    }

    @Test
    void aModelIsOffThenEnabledAsTheApiServerHoldsIt() throws IOException {
        List<Map<String, Object>> manifests = Manifests.read(List.of(MigrationPlanTest.MANIFESTS.resolve("llama-deployment.yaml"),
                MigrationPlanTest.MANIFESTS.resolve("gateway-deployment.yaml")));
        create(manifests);
        KubeContext context = kubeconfig(url(), "default");
        ModelStatus off = ModelStatus.of(context, null, MigrationPlanTest.OPTIONS).get(0);
        assertEquals("llama-3-8b", off.model());
        assertEquals(ModelStatus.State.OFF, off.state());

        fabric8.apps().deployments().inNamespace("default").withName("llama-3-8b").delete();
        fabric8.services().inNamespace("default").withName("llama-3-8b").delete();
        fabric8.apps().deployments().inNamespace("aibrix-system").withName("aibrix-gateway-plugins").delete();
        create(MigrationPlan.enable(manifests, "llama-3-8b", MigrationPlanTest.OPTIONS).result());
        ModelStatus on = ModelStatus.of(context, "llama-3-8b", MigrationPlanTest.OPTIONS).get(0);
        assertEquals(ModelStatus.State.ENABLED, on.state(), on.toString());
        assertEquals("true", on.gateway().get("AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED"));
    }

    @Test
    void anUnreachableServerAndAMissingKubeconfigAreClearErrors() throws IOException {
        IllegalStateException down = assertThrows(IllegalStateException.class,
                () -> ModelStatus.of(kubeconfig("http://127.0.0.1:1", "default"), null, MigrationPlanTest.OPTIONS));
        assertTrue(down.getMessage().startsWith("cannot reach the API server at http://127.0.0.1:1 to list deployments.apps"
                + " in namespace default"), down.getMessage());
        IllegalArgumentException none = assertThrows(IllegalArgumentException.class, () -> ModelStatus.of(
                new KubeContext(List.of(dir.resolve("missing")), null, null, false), null, MigrationPlanTest.OPTIONS));
        assertTrue(none.getMessage().startsWith("no kubeconfig: tried ["), none.getMessage());
    }

    /**
     * A namespace without models lists none, as kubectl get does, and says so its way (kubernetes/kubectl
     * pkg/cmd/get/get.go at dee3483a3: "No resources found in %s namespace.", "No resources found" for every
     * namespace); a model asked for by name that is not there stays an error.
     */
    @Test
    void aNamespaceWithoutModelsListsNone() throws IOException {
        KubeContext empty = kubeconfig(url(), "empty");
        assertEquals(List.of(), ModelStatus.of(empty, null, MigrationPlanTest.OPTIONS));
        assertEquals("No resources found in empty namespace.", ModelStatus.noneFound(empty));
        assertEquals("No resources found", ModelStatus.noneFound(new KubeContext(empty.kubeconfig(), null, null, true)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelStatus.of(empty, "llama", MigrationPlanTest.OPTIONS));
        assertEquals("no Deployment named llama in namespace empty", e.getMessage());
    }

    @Test
    void severalKubeconfigsAreMergedAsKubectlDoes() throws IOException {
        create(Manifests.read(List.of(MigrationPlanTest.MANIFESTS.resolve("llama-deployment.yaml"))));
        Path first = dir.resolve("first");
        Files.writeString(first, """
                apiVersion: v1
                kind: Config
                clusters: [{name: elsewhere, cluster: {server: "http://127.0.0.1:1"}}]
                users: [{name: someone, user: {token: x}}]
                contexts: [{name: elsewhere, context: {cluster: elsewhere, user: someone}}]
                """);
        Path second = kubeconfig(url(), "default").kubeconfig().get(0);
        ModelStatus s = ModelStatus.of(new KubeContext(List.of(first, second), null, null, false), null,
                MigrationPlanTest.OPTIONS).get(0);
        assertEquals("llama-3-8b", s.model(), "the current context comes from the second file, the first file's entries stay");
        IllegalStateException other = assertThrows(IllegalStateException.class, () -> ModelStatus.of(
                new KubeContext(List.of(first, second), "elsewhere", null, false), null, MigrationPlanTest.OPTIONS));
        assertTrue(other.getMessage().startsWith("cannot reach the API server at http://127.0.0.1:1"), other.getMessage());
    }
}
