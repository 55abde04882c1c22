package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What enable owns and what disable keeps (docs/migration-guide.md), on manifests: a three-way undo
 * that removes what enable added, restores what it replaced and keeps every change made since.
 */
class OwnershipTest {
    static final EnableOptions OPTIONS = MigrationPlanTest.OPTIONS;

    @TempDir
    Path dir;

    private List<Map<String, Object>> read(String yaml) throws IOException {
        Path f = Files.createTempFile(dir, "m", ".yaml");
        Files.writeString(f, yaml);
        return Manifests.read(List.of(f));
    }

    private static List<Map<String, Object>> manifests() {
        return Manifests.read(List.of(MigrationPlanTest.MANIFESTS.resolve("llama-deployment.yaml"),
                MigrationPlanTest.MANIFESTS.resolve("gateway-deployment.yaml")));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> container(Map<String, Object> deployment, int i) {
        Map<String, Object> spec = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) deployment.get("spec"))
                .get("template")).get("spec");
        return ((List<Map<String, Object>>) spec.get("containers")).get(i);
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Map<String, Object> m, String key) {
        return (List<Object>) m.computeIfAbsent(key, k -> new java.util.ArrayList<>());
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Map<String, Object> m, String... keys) {
        Map<String, Object> node = m;
        for (String k : keys) {
            node = (Map<String, Object>) node.computeIfAbsent(k, x -> new java.util.LinkedHashMap<>());
        }
        return node;
    }

    /** Finding 3: edits made after enable (labels, args, env, ports, gateway env, Service ports) survive disable. */
    @Test
    void disableKeepsEveryEditMadeSinceEnable() {
        List<Map<String, Object>> enabled = MigrationPlan.enable(manifests(), "llama-3-8b", OPTIONS).result();
        Map<String, Object> d = enabled.get(0);
        Map<String, Object> vllm = container(d, 0);
        map(d, "metadata", "labels").put("team", "search");
        map(d, "spec", "template", "metadata", "labels").put("tier", "gold");
        list(vllm, "args").add("--max-model-len=8192");
        list(vllm, "env").add(Map.of("name", "HF_HOME", "value", "/cache"));
        list(vllm, "ports").add(Map.of("name", "debug", "containerPort", 5678));
        list(map(enabled.get(1), "spec"), "ports").add(Map.of("name", "debug", "port", 5678));
        list(container(enabled.get(2), 0), "env").add(Map.of("name", "AIBRIX_GPU_OPTIMIZER_DEBUG", "value", "1"));

        MigrationPlan disabled = MigrationPlan.disable(enabled, "llama-3-8b", OPTIONS, false);
        String yaml = Manifests.write(disabled.result());
        for (String kept : List.of("team: search", "tier: gold", "--max-model-len=8192", "HF_HOME", "containerPort: 5678",
                "port: 5678", "AIBRIX_GPU_OPTIMIZER_DEBUG")) {
            assertTrue(yaml.contains(kept), kept + " was lost:\n" + yaml);
        }
        for (String gone : List.of("--kv-events-config", "kv-events", "kv-replay", "kv-events-enabled", "POD_IP",
                "KV_EVENT_SYNC", "kvevents.io/undo")) {
            assertFalse(yaml.contains(gone), gone + " is still there:\n" + yaml);
        }
    }

    /** A field enable replaced and the user changed since is reported and left as set; --force overwrites it. */
    @Test
    void aReplacedFieldChangedSinceIsReportedAndKeptUnlessForced() throws IOException {
        List<Map<String, Object>> objects = manifests();
        list(container(objects.get(2), 0), "env").add(Map.of("name", "AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE", "value", "character"));
        List<Map<String, Object>> enabled = MigrationPlan.enable(objects, "llama-3-8b", OPTIONS).result();
        for (Object e : list(container(enabled.get(2), 0), "env")) {
            @SuppressWarnings("unchecked")
            Map<String, Object> env = (Map<String, Object>) e;
            if ("AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE".equals(env.get("name"))) {
                env.put("value", "tiktoken");
            }
        }
        MigrationPlan disabled = MigrationPlan.disable(enabled, "llama-3-8b", OPTIONS, false);
        String gateway = Manifests.write(List.of(disabled.result().get(2)));
        assertTrue(gateway.contains("value: tiktoken"), gateway);
        assertTrue(disabled.warnings().stream().anyMatch(w -> w.contains("AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE")
                && w.contains("changed since enable")), disabled.warnings().toString());

        MigrationPlan forced = MigrationPlan.disable(enabled, "llama-3-8b", OPTIONS.withForce(true), false);
        assertTrue(Manifests.write(List.of(forced.result().get(2))).contains("value: character"));
    }

    /** Finding 4: the migration guide's flags, which make vLLM exit, are never restored by disable. */
    @Test
    void disableNeverRestoresTheGuidesFlags() {
        List<Map<String, Object>> objects = manifests();
        list(container(objects.get(0), 0), "args").addAll(List.of("--enable-kv-cache-events", "--kv-events-publisher", "zmq",
                "--kv-events-endpoint=tcp://*:5557"));
        List<Map<String, Object>> enabled = MigrationPlan.enable(objects, "llama-3-8b", OPTIONS).result();
        MigrationPlan disabled = MigrationPlan.disable(enabled, "llama-3-8b", OPTIONS, false);
        assertEquals(List.of("meta-llama/Meta-Llama-3-8B-Instruct", "--port=8000", "--served-model-name=llama-3-8b"),
                container(disabled.result().get(0), 0).get("args"));
    }

    /** Finding 6: the gateway's settings go to the plugin container, not a sidecar that comes first. */
    @Test
    void theGatewayEnvGoesToThePluginContainerNotASidecar() throws IOException {
        List<Map<String, Object>> objects = manifests();
        List<Object> containers = list(map(objects.get(2), "spec", "template", "spec"), "containers");
        containers.add(0, new java.util.LinkedHashMap<>(Map.of("name", "istio-proxy", "image", "docker.io/istio/proxyv2:1.22.0")));
        List<Map<String, Object>> enabled = MigrationPlan.enable(objects, "llama-3-8b", OPTIONS).result();
        assertFalse(Manifests.write(List.of(container(enabled.get(2), 0))).contains("AIBRIX"), "nothing in istio-proxy");
        assertTrue(Manifests.write(List.of(container(enabled.get(2), 1))).contains("AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED"));
        assertEquals(manifests().get(2), stripped(MigrationPlan.disable(enabled, "llama-3-8b", OPTIONS, false).result().get(2)));
    }

    private static Map<String, Object> stripped(Map<String, Object> gateway) {
        @SuppressWarnings("unchecked")
        List<Object> cs = (List<Object>) map(gateway, "spec", "template", "spec").get("containers");
        cs.remove(0);
        return gateway;
    }

    /** Finding 6: settings held in envFrom (a ConfigMap) and valueFrom are read, never duplicated. */
    @Test
    void settingsFromEnvFromAndValueFromAreReadNotDuplicated() throws IOException {
        List<Map<String, Object>> objects = read("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: llama-3-8b, namespace: default}
                spec:
                  selector: {matchLabels: {app: llama}}
                  template:
                    metadata: {labels: {app: llama}}
                    spec:
                      containers:
                      - name: vllm
                        image: vllm/vllm-openai:v0.11.0
                        args: [--model, x]
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: aibrix-gateway-plugins, namespace: aibrix-system}
                spec:
                  selector: {matchLabels: {app: gw}}
                  template:
                    metadata: {labels: {app: gw}}
                    spec:
                      containers:
                      - name: gateway-plugin
                        image: aibrix/gateway-plugins:v0.4.0
                        envFrom:
                        - configMapRef: {name: gateway-settings}
                        env:
                        - name: AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE
                          valueFrom: {configMapKeyRef: {name: gateway-settings, key: tokenizer-type}}
                ---
                apiVersion: v1
                kind: ConfigMap
                metadata: {name: gateway-settings, namespace: aibrix-system}
                data:
                  AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED: "true"
                  AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER: "true"
                  tokenizer-type: remote
                """);
        MigrationPlan plan = MigrationPlan.enable(objects, "llama-3-8b", OPTIONS);
        String gateway = Manifests.write(List.of(plan.result().get(1)));
        assertFalse(gateway.contains("name: AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED"), gateway);
        assertFalse(gateway.contains("name: AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER"), gateway);
        assertEquals(1, gateway.split("AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE", -1).length - 1, gateway);
        assertTrue(gateway.contains("name: AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT"), gateway);
        GatewayConfig config = GatewayConfig.among(objects, OPTIONS).orElseThrow();
        assertTrue(config.kvEventSync(), config.toString());
        assertEquals("remote", config.tokenizerType(), config.toString());
    }

    /** Finding 7 (-A): a name that matches Deployments in several namespaces is refused, naming them. */
    @Test
    void aModelNameInSeveralNamespacesIsRefusedNamingThem() throws IOException {
        String deployment = """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: llama-3-8b, namespace: %s}
                spec:
                  selector: {matchLabels: {app: llama}}
                  template:
                    metadata: {labels: {app: llama}}
                    spec:
                      containers: [{name: vllm, image: 'vllm/vllm-openai:v0.11.0'}]
                """;
        List<Map<String, Object>> objects = read(deployment.formatted("prod") + "---\n" + deployment.formatted("staging"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MigrationPlan.enable(objects, "llama-3-8b", OPTIONS));
        assertTrue(e.getMessage().contains("prod/llama-3-8b") && e.getMessage().contains("staging/llama-3-8b"), e.getMessage());
    }

    /** Enable twice keeps the first originals: disable after two enables still gives back the very first objects. */
    @Test
    void enableThenDisableOnUntouchedObjectsIsExact() {
        List<Map<String, Object>> original = manifests();
        List<Map<String, Object>> once = MigrationPlan.enable(original, "llama-3-8b", OPTIONS).result();
        List<Map<String, Object>> twice = MigrationPlan.enable(once, "llama-3-8b", OPTIONS).result();
        assertEquals(once, twice);
        assertEquals(original, MigrationPlan.disable(twice, "llama-3-8b", OPTIONS, false).result());
    }

    /** Review: a second disable finds no record and leaves the object alone (it used to strip the user's own config). */
    @Test
    void aSecondDisableLeavesWhatTheFirstRestoredAlone() {
        List<Map<String, Object>> objects = manifests();
        list(container(objects.get(0), 0), "args").addAll(List.of("--kv-events-config", "{\"enable_kv_cache_events\":false}"));
        list(container(objects.get(0), 0), "ports").add(new java.util.LinkedHashMap<>(Map.of("name", "kv-events", "containerPort", 5557)));
        List<Map<String, Object>> enabled = MigrationPlan.enable(objects, "llama-3-8b", OPTIONS).result();
        List<Map<String, Object>> once = MigrationPlan.disable(enabled, "llama-3-8b", OPTIONS, false).result();
        assertEquals(objects, once);
        MigrationPlan twice = MigrationPlan.disable(once, "llama-3-8b", OPTIONS, false);
        assertEquals(objects, twice.result());
        assertTrue(twice.inPlace(), twice.toString());
    }

    /** Review: gateway-only's writes are recorded, so a full disable afterwards still gives the gateway back. */
    @Test
    void aFullDisableAfterTheGatewayOnlyRollbackGivesTheGatewayBack() {
        List<Map<String, Object>> original = manifests();
        List<Map<String, Object>> enabled = MigrationPlan.enable(original, "llama-3-8b", OPTIONS).result();
        List<Map<String, Object>> off = MigrationPlan.disable(enabled, "llama-3-8b", OPTIONS, true).result();
        assertEquals(original, MigrationPlan.disable(off, "llama-3-8b", OPTIONS, false).result());
    }

    /** Review: a script the user grew into several commands since enable is reported, and disable still finishes. */
    @Test
    void aScriptChangedBeyondOneCommandIsReportedNotFatal() throws IOException {
        List<Map<String, Object>> objects = read("""
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: llama, namespace: default}
                spec:
                  selector: {matchLabels: {app: llama}}
                  template:
                    metadata: {labels: {app: llama}}
                    spec:
                      containers:
                      - {name: vllm, image: 'vllm/vllm-openai:v0.11.0', command: [sh, -c], args: ["vllm serve m"]}
                """);
        List<Map<String, Object>> enabled = MigrationPlan.enable(objects, "llama", OPTIONS).result();
        List<Object> args = list(container(enabled.get(0), 0), "args");
        args.set(0, "nvidia-smi && " + args.get(0));
        MigrationPlan disabled = MigrationPlan.disable(enabled, "llama", OPTIONS, false);
        assertTrue(disabled.warnings().stream().anyMatch(w -> w.contains("cannot be read any more")), disabled.warnings().toString());
        assertFalse(Manifests.write(disabled.result()).contains("kv-events-enabled"));
    }

    /** Review: a comment or a shell variable in a one-command script is refused (a flag after '#' is a comment). */
    @Test
    void commentsAndShellVariablesInTheScriptAreRefused() throws IOException {
        for (String script : List.of("vllm serve m # tuned", "vllm serve m --served-model-name $MODEL_NAME")) {
            List<Map<String, Object>> objects = read("""
                    apiVersion: apps/v1
                    kind: Deployment
                    metadata: {name: llama, namespace: default}
                    spec:
                      selector: {matchLabels: {app: llama}}
                      template:
                        metadata: {labels: {app: llama}}
                        spec:
                          containers:
                          - {name: vllm, image: 'vllm/vllm-openai:v0.11.0', command: [sh, -c, '%s']}
                    """.formatted(script));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MigrationPlan.enable(objects, "llama", OPTIONS));
            assertTrue(e.getMessage().contains(script.contains("#") ? "a comment" : "a shell variable"), e.getMessage());
        }
    }
}
