package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The offline migration plan: the changes of docs/migration-guide.md, each JSON patch checked by the real kubectl. */
class MigrationPlanTest {
    static final Path MANIFESTS = Path.of(System.getProperty("kvevents.examples", "../examples")).resolve("manifests");
    static final EnableOptions OPTIONS = EnableOptions.defaults().withTokenizer("http://tokenizer-service.default:8080");

    @TempDir
    Path dir;

    private static List<Map<String, Object>> manifests() {
        return Manifests.read(List.of(MANIFESTS.resolve("llama-deployment.yaml"), MANIFESTS.resolve("gateway-deployment.yaml"),
                MANIFESTS.resolve("tokenizer-service.yaml")));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> vllm(Map<String, Object> deployment) {
        Map<String, Object> spec = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) deployment.get("spec"))
                .get("template")).get("spec");
        return ((List<Map<String, Object>>) spec.get("containers")).get(0);
    }

    @Test
    void enableWritesTheRealFlagPortsLabelsServicePortsAndGatewayEnv() {
        MigrationPlan plan = MigrationPlan.enable(manifests(), "llama-3-8b", OPTIONS);
        String yaml = Manifests.write(plan.result());
        List<?> args = (List<?>) vllm(plan.result().get(0)).get("args");
        assertEquals("--kv-events-config", args.get(args.size() - 2));
        assertEquals("{\"enable_kv_cache_events\":true,\"publisher\":\"zmq\",\"endpoint\":\"tcp://*:5557\","
                + "\"replay_endpoint\":\"tcp://*:5558\",\"topic\":\"kv@$(POD_IP)@llama-3-8b\"}", args.get(args.size() - 1));
        assertFalse(yaml.contains("--enable-kv-cache-events"), "no seed-style flag: vLLM would exit");
        assertTrue(yaml.contains("name: kv-events"));
        assertTrue(yaml.contains("containerPort: 5558"));
        assertEquals(2, yaml.split("model.aibrix.ai/kv-events-enabled: 'true'", -1).length - 1,
                "the label goes on the Deployment and on the pod template the gateway watches");
        assertTrue(yaml.contains("port: 5557"), "the Service selecting the pods gets the ports");
        for (String env : List.of("AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED", "AIBRIX_KV_EVENT_SYNC_ENABLED",
                "AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT", "AIBRIX_REMOTE_TOKENIZER_ENDPOINT",
                "AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE", "AIBRIX_REMOTE_TOKENIZER_ENGINE")) {
            assertTrue(yaml.contains(env), env);
        }
        assertEquals(List.of("deployment.apps/llama-3-8b", "service/llama-3-8b", "deployment.apps/aibrix-gateway-plugins"),
                plan.steps().stream().map(PlanStep::target).toList());
        assertTrue(plan.warnings().isEmpty(), plan.warnings().toString());
    }

    @Test
    void enableTwiceChangesNothingTheSecondTime() {
        MigrationPlan first = MigrationPlan.enable(manifests(), "llama-3-8b", OPTIONS);
        MigrationPlan second = MigrationPlan.enable(first.result(), "llama-3-8b", OPTIONS);
        assertTrue(second.inPlace(), second.toString());
        assertEquals(first.result(), second.result());
    }

    @Test
    void disableAfterEnableRestoresEveryObjectExactly() {
        List<Map<String, Object>> original = manifests();
        MigrationPlan enabled = MigrationPlan.enable(original, "llama-3-8b", OPTIONS);
        MigrationPlan twice = MigrationPlan.enable(enabled.result(), "llama-3-8b", OPTIONS.withPorts(5557, 5558));
        MigrationPlan disabled = MigrationPlan.disable(twice.result(), "llama-3-8b", OPTIONS, false);
        assertEquals(original, disabled.result());
    }

    @Test
    void seedStyleFlagsAreReplacedByTheRealOne() {
        List<Map<String, Object>> objects = manifests();
        @SuppressWarnings("unchecked")
        List<Object> args = (List<Object>) vllm(objects.get(0)).get("args");
        args.addAll(List.of("--enable-kv-cache-events", "--kv-events-publisher=zmq", "--kv-events-endpoint", "tcp://*:5557"));
        MigrationPlan plan = MigrationPlan.enable(objects, "llama-3-8b", OPTIONS);
        List<?> after = (List<?>) vllm(plan.result().get(0)).get("args");
        assertEquals(List.of("meta-llama/Meta-Llama-3-8B-Instruct", "--port=8000", "--served-model-name=llama-3-8b",
                "--kv-events-config"), after.subList(0, 4));
        assertEquals(5, after.size());
    }

    @Test
    void preflightRefusesOldVllmDisabledPrefixCachingAndTakenPorts() {
        List<Map<String, Object>> old = manifests();
        vllm(old.get(0)).put("image", "vllm/vllm-openai:v0.8.5");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MigrationPlan.enable(old, "llama-3-8b", OPTIONS));
        assertTrue(e.getMessage().contains("KV events appeared in vLLM 0.9.0"), e.getMessage());
        assertFalse(MigrationPlan.enable(old, "llama-3-8b", OPTIONS.withForce(true)).inPlace());

        List<Map<String, Object>> noCache = manifests();
        @SuppressWarnings("unchecked")
        List<Object> args = (List<Object>) vllm(noCache.get(0)).get("args");
        args.add("--no-enable-prefix-caching");
        e = assertThrows(IllegalArgumentException.class, () -> MigrationPlan.enable(noCache, "llama-3-8b", OPTIONS));
        assertTrue(e.getMessage().contains("prefix caching is disabled"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class,
                () -> MigrationPlan.enable(manifests(), "llama-3-8b", OPTIONS.withPorts(2020, 5558)));
        assertTrue(e.getMessage().contains("port 2020 is already used by container log-shipper"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> MigrationPlan.enable(manifests(), "mistral", OPTIONS));
        assertTrue(e.getMessage().contains("no Deployment named mistral"), e.getMessage());
    }

    @Test
    void theGatewayOnlyRollbackTurnsSyncOffAndLeavesTheEngines() {
        MigrationPlan enabled = MigrationPlan.enable(manifests(), "llama-3-8b", OPTIONS);
        MigrationPlan off = MigrationPlan.disable(enabled.result(), "llama-3-8b", OPTIONS, true);
        assertEquals(enabled.result().get(0), off.result().get(0));
        String gateway = Manifests.write(List.of(off.result().get(2)));
        assertTrue(gateway.contains("name: AIBRIX_KV_EVENT_SYNC_ENABLED\n              value: 'false'"), gateway);
    }

    @Test
    void everyPatchOfThePlansIsWhatKubectlPatchMakesOfTheOriginal() throws Exception {
        assumeTrue(KubectlPatchCheck.available(), "kubectl is not installed (apt-get install -y kubernetes-client): patches not checked");
        List<Map<String, Object>> original = manifests();
        MigrationPlan enabled = MigrationPlan.enable(original, "llama-3-8b", OPTIONS);
        MigrationPlan disabled = MigrationPlan.disable(enabled.result(), "llama-3-8b", OPTIONS, false);
        int checked = KubectlPatchCheck.check(dir, original, enabled) + KubectlPatchCheck.check(dir, enabled.result(), disabled);
        assertEquals(6, checked);
    }

}
