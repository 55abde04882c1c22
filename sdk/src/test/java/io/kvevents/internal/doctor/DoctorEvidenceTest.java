package io.kvevents.internal.doctor;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvevents.internal.metrics.Exposition;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The pieces of doctor's evidence: log causes, port collisions, the exposition format, the gateway's memory. */
class DoctorEvidenceTest {

    @Test
    void causesAreReadFromTheLastMatchingLineAndTheTerminationReason() {
        var bind = PodEvidence.cause("INFO starting\nzmq.error.ZMQError: Address already in use (addr='tcp://*:5557')\n",
                "Error", "m -n ns").orElseThrow();
        assertEquals("bind", bind.check());
        assertEquals("zmq.error.ZMQError: Address already in use (addr='tcp://*:5557')", bind.evidence());
        var flags = PodEvidence.cause("vllm serve: error: unrecognized arguments: --enable-kv-cache-events", "Error", "m -n ns")
                .orElseThrow();
        assertEquals("crash-loop", flags.check());
        assertTrue(flags.fix().startsWith("kubectl kvevents enable m -n ns"), flags.fix());
        assertEquals("the kernel killed it for memory (OOMKilled)",
                PodEvidence.cause("", "OOMKilled", "m").orElseThrow().evidence());
        assertTrue(PodEvidence.cause("RuntimeError: CUDA out of memory", "Error", "m").isEmpty());
        assertEquals("RuntimeError: CUDA out of memory", PodEvidence.lastLine("a\nRuntimeError: CUDA out of memory\n\n"));
    }

    @Test
    void aSidecarOnTheReplayPortCollidesAndOneRankDoesNot() {
        Map<String, Object> spec = Map.of("containers", List.of(
                Map.of("name", "vllm", "image", "vllm/vllm-openai:v0.11.0", "args", List.of("--model", "m", "--kv-events-config",
                        "{\"enable_kv_cache_events\":true,\"publisher\":\"zmq\",\"endpoint\":\"tcp://*:5557\","
                                + "\"replay_endpoint\":\"tcp://*:5558\"}")),
                Map.of("name", "exporter", "image", "prom/statsd-exporter", "ports", List.of(Map.of("containerPort", 5558)))));
        assertEquals(List.of("port 5558 is the engine's replay port and container exporter's port"),
                PodEvidence.portCollisions("ns", "p", spec));
        Map<String, Object> alone = Map.of("containers", List.of(spec.get("containers") instanceof List<?> l ? l.get(0) : null));
        assertEquals(List.of(), PodEvidence.portCollisions("ns", "p", alone));
    }

    @Test
    void theExpositionFormatIsReadWithEscapesInfinitiesAndTimestamps() {
        var samples = Exposition.parse("""
                # HELP vllm:cache_config_info Information of the LLMEngine CacheConfig
                # TYPE vllm:cache_config_info gauge
                vllm:cache_config_info{block_size="16",engine="0",num_gpu_blocks="16384",note="a \\"quoted\\" \\\\ one"} 1.0
                vllm:cache_config_info{block_size="16",engine="1",num_gpu_blocks="16384"} 1.0 1700000000000
                vllm:time_to_first_token_seconds_bucket{le="+Inf",model_name="m"} +Inf
                up 1
                """);
        assertEquals(4, samples.size());
        assertEquals("a \"quoted\" \\ one", samples.get(0).label("note"));
        assertEquals(Double.POSITIVE_INFINITY, samples.get(2).value());
        // a data-parallel pod of two engines of 8,192 blocks: each engine's series carries the process's sum
        // (vLLM 5ac26849 core_client.py _apply_ready_response, loggers.py log_metrics_info), counted once
        assertEquals(OptionalLong.of(16384), GatewayMemory.engineBlocks(samples));
        assertEquals(OptionalLong.empty(), GatewayMemory.engineBlocks(Exposition.parse(
                "vllm:cache_config_info{engine=\"0\",num_gpu_blocks=\"None\"} 1.0\n")));
        assertThrows(IllegalArgumentException.class, () -> Exposition.parse("not a sample {\n"));
    }

    @Test
    void theGatewaysLimitIsAQuantityAndTheEstimateCapsPrefixes() {
        Map<String, Object> gateway = Map.of("spec", Map.of("template", Map.of("spec", Map.of("containers", List.of(Map.of(
                "name", "gateway-plugin", "resources", Map.of("limits", Map.of("memory", "1536Mi"))))))));
        assertEquals(OptionalLong.of(1536L << 20), GatewayMemory.limit(gateway));
        assertEquals(1_000 * 110 + 1_000 * 300, GatewayMemory.estimate(1_000, 10_000));
        assertEquals(100_000 * 110 + 10_000 * 300, GatewayMemory.estimate(100_000, 10_000));
        assertEquals(20_000, GatewayMemory.maxPrefixes(Map.of("AIBRIX_SYNC_MAX_PREFIXES_PER_CONTEXT", "20000")));
        assertEquals(10_000, GatewayMemory.maxPrefixes(Map.of()));
    }
}
