package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelStatusTest {
    private static final EnableOptions OPTIONS = MigrationPlanTest.OPTIONS;

    private static ModelStatus status(List<Map<String, Object>> manifests) {
        return ModelStatus.of(manifests, "llama-3-8b", OPTIONS).get(0);
    }

    private static List<Map<String, Object>> manifests() {
        return Manifests.read(List.of(MigrationPlanTest.MANIFESTS.resolve("llama-deployment.yaml"),
                MigrationPlanTest.MANIFESTS.resolve("gateway-deployment.yaml")));
    }

    @SuppressWarnings("unchecked")
    static List<Map<String, Object>> gatewayEnv(Map<String, Object> gateway) {
        Map<String, Object> spec = (Map<String, Object>) ((Map<String, Object>) ((Map<String, Object>) gateway.get("spec"))
                .get("template")).get("spec");
        return (List<Map<String, Object>>) ((List<Map<String, Object>>) spec.get("containers")).get(0).get("env");
    }

    @Test
    void offBeforeEnableAndEnabledAfter() {
        ModelStatus before = status(manifests());
        assertEquals(ModelStatus.State.OFF, before.state());
        assertEquals(5, before.missing().size(), before.toString());
        ModelStatus after = status(MigrationPlan.enable(manifests(), "llama-3-8b", OPTIONS).result());
        assertEquals(ModelStatus.State.ENABLED, after.state(), after.toString());
        assertEquals(List.of(), after.problems());
        assertEquals("true", after.gateway().get("AIBRIX_KV_EVENT_SYNC_ENABLED"));
    }

    @Test
    void enginesPublishingWhileTheGatewayIsOffIsPartial() {
        var enabled = MigrationPlan.enable(manifests(), "llama-3-8b", OPTIONS).result();
        var off = MigrationPlan.disable(enabled, "llama-3-8b", OPTIONS, true).result();
        ModelStatus s = status(off);
        assertEquals(ModelStatus.State.PARTIAL, s.state());
        assertEquals(List.of("gateway sync"), s.missing());
    }

    @Test
    void seedFlagsAndSettingsOnlyOneSpellingCarriesAreProblems() {
        var seeded = MigrationPlan.enable(manifests(), "llama-3-8b", OPTIONS.withVllmArgs(EnableOptions.VllmArgs.SEED)).result();
        gatewayEnv(seeded.get(2)).removeIf(e -> e.get("name").equals("AIBRIX_USE_REMOTE_TOKENIZER"));
        gatewayEnv(seeded.get(2)).stream().filter(e -> e.get("name").equals("AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER"))
                .forEach(e -> e.put("value", "false"));
        ModelStatus s = status(seeded);
        assertEquals(ModelStatus.State.PARTIAL, s.state(), "no --kv-events-config: the seed flags do not enable events");
        assertTrue(s.problems().get(0).contains("make vLLM exit"), s.problems().toString());
        assertTrue(s.problems().contains("the gateway syncs KV events but its remote tokenizer is off"), s.problems().toString());
        assertTrue(s.problems().stream().noneMatch(p -> p.contains("AIBRIX_USE_REMOTE_TOKENIZER")),
                "the guide's spelling is read by no AIBrix: its absence is no problem " + s.problems());
    }

    @Test
    void aGatewayBlockSizeInTokensInsteadOfBytesIsAProblem() {
        var enabled = MigrationPlan.enable(manifests(), "llama-3-8b", OPTIONS).result();
        gatewayEnv(enabled.get(2)).add(new java.util.LinkedHashMap<>(Map.of("name", "AIBRIX_PREFIX_CACHE_BLOCK_SIZE", "value", "16")));
        assertEquals(List.of("the gateway's AIBRIX_PREFIX_CACHE_BLOCK_SIZE=16 does not line up with the pods' blocks of 16"
                + " tokens: the AIBrix sync indexer counts it in bytes of 4-byte tokens, set 64"), status(enabled).problems());
        gatewayEnv(enabled.get(2)).get(gatewayEnv(enabled.get(2)).size() - 1).put("value", "64");
        assertEquals(List.of(), status(enabled).problems());
        assertEquals("64", status(enabled).gateway().get("AIBRIX_PREFIX_CACHE_BLOCK_SIZE"));
    }
}
