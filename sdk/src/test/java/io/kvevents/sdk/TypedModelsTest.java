package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** ModelDeployment and GatewayConfig read off the example manifests, before and after enable, in both argument styles. */
class TypedModelsTest {
    private static final EnableOptions OPTIONS = MigrationPlanTest.OPTIONS;

    private static List<Map<String, Object>> manifests() {
        return Manifests.read(List.of(MigrationPlanTest.MANIFESTS.resolve("llama-deployment.yaml"),
                MigrationPlanTest.MANIFESTS.resolve("gateway-deployment.yaml")));
    }

    @Test
    void aModelDeploymentBeforeAndAfterEnable() {
        ModelDeployment before = ModelDeployment.find(manifests(), "llama-3-8b");
        assertEquals("default", before.namespace());
        assertEquals("0.11.0", before.engineVersion());
        assertEquals(ModelDeployment.Style.NONE, before.kvEvents().style());
        assertFalse(before.kvEvents().enabled());
        assertEquals(Map.of("app", "llama-3-8b"), before.selector());
        assertEquals(List.of("llama-3-8b"), before.servicesIn(manifests()));
        assertNull(before.port("kv-events"));
        assertEquals(-1, before.readyReplicas(), "manifests carry no status");

        ModelDeployment after = ModelDeployment.find(MigrationPlan.enable(manifests(), "llama-3-8b", OPTIONS).result(), "llama-3-8b");
        assertEquals(ModelDeployment.Style.CONFIG, after.kvEvents().style());
        assertTrue(after.kvEvents().enabled());
        assertEquals("zmq", after.kvEvents().publisher());
        assertEquals("tcp://*:5557", after.kvEvents().endpoint());
        assertEquals("tcp://*:5558", after.kvEvents().replayEndpoint());
        assertEquals(5557, after.port("kv-events"));
        assertEquals(5558, after.port("kv-replay"));
        assertEquals("true", after.podLabels().get("model.aibrix.ai/kv-events-enabled"));
        assertEquals("llama-3-8b", after.labels().get("model.aibrix.ai/name"));
        assertEquals(before.engineVersion(), after.engineVersion());
        assertTrue(after.toString().startsWith("ModelDeployment[default/llama-3-8b "), after.toString());
    }

    @Test
    void theGuidesFlagsAreReadAsTheSeedStyle() {
        var seeded = MigrationPlan.enable(manifests(), "llama-3-8b", OPTIONS.withVllmArgs(EnableOptions.VllmArgs.SEED)).result();
        ModelDeployment.KvEventsArgs args = ModelDeployment.find(seeded, "llama-3-8b").kvEvents();
        assertEquals(ModelDeployment.Style.SEED, args.style());
        assertTrue(args.enabled());
        assertEquals("tcp://*:5557", args.endpoint());
        assertEquals("tcp://*:5558", args.replayEndpoint());
    }

    @Test
    void aDeploymentWithoutVllmIsNoModel() {
        Map<String, Object> gateway = manifests().get(2);
        assertEquals("deployment.apps/aibrix-gateway-plugins runs no vLLM or SGLang container (no image or command naming either)",
                assertThrows(IllegalArgumentException.class, () -> ModelDeployment.of(gateway)).getMessage());
    }

    @Test
    void theGatewayConfigWithDefaultsBothSpellingsAndProblems() {
        GatewayConfig before = GatewayConfig.find(manifests(), OPTIONS);
        assertFalse(before.kvEventSync());
        assertFalse(before.remoteTokenizer());
        assertEquals("character", before.tokenizerType(), "the gateway's default");
        assertEquals(List.of(), before.problems());

        List<Map<String, Object>> enabled = MigrationPlan.enable(manifests(), "llama-3-8b", OPTIONS).result();
        GatewayConfig after = GatewayConfig.find(enabled, OPTIONS);
        assertTrue(after.kvEventSync());
        assertTrue(after.remoteTokenizer());
        assertEquals("http://tokenizer-service.default:8080", after.tokenizerEndpoint());
        assertEquals("remote", after.tokenizerType());
        assertEquals("vllm", after.tokenizerEngine());
        assertEquals(List.of(), after.problems());

        ModelStatusTest.gatewayEnv(enabled.get(2)).removeIf(e -> e.get("name").equals("AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER"));
        ModelStatusTest.gatewayEnv(enabled.get(2)).stream().filter(e -> e.get("name").equals("AIBRIX_USE_REMOTE_TOKENIZER"))
                .forEach(e -> e.put("value", "false"));
        GatewayConfig broken = GatewayConfig.find(enabled, OPTIONS);
        assertFalse(broken.remoteTokenizer(), "only the gateway's own name counts (AIBrix reads no other)");
        assertEquals(List.of("the gateway syncs KV events but its remote tokenizer is off",
                "the gateway sets AIBRIX_USE_REMOTE_TOKENIZER, which AIBrix does not read: set AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER"),
                broken.problems());
    }
}
