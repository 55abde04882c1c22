package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kvevents.internal.kube.JsonTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Enable writes what the real AIBrix gateway and vLLM read, on vLLM Deployments as people write them:
 * model names apart from Deployment names, shell-wrapped commands, data parallelism, existing configs,
 * custom block sizes and ports.
 *
 * <p>Upstream read for these fixtures (vLLM at the tags v0.9.1 b6553be1bc, v0.11.0 b8b302cde4, v0.11.1 439368496d,
 * v0.24.0 ee0da84ab9, v0.25.1 752a3a5044; AIBrix at e3e10f9e and v0.7.0 c5465890; docs/compatibility.md has each
 * line): vLLM {@code vllm/config/kv_events.py} (KVEventsConfig: endpoint,
 * replay_endpoint, buffer_steps, hwm, max_queue_size, topic, publisher) and
 * {@code vllm/distributed/kv_events.py} (ZmqEventPublisher offsets both endpoints' ports by the
 * data-parallel rank); AIBrix e3e10f9 {@code pkg/cache/kvcache/} and {@code pkg/utils/} (pods mapped to models by
 * the {@code model.aibrix.ai/name} label; the sync indexer's block size from
 * {@code AIBRIX_PREFIX_CACHE_BLOCK_SIZE}, counted in bytes of 4-byte tokens).
 */
class RealConfigurationTest {
    static final EnableOptions OPTIONS = MigrationPlanTest.OPTIONS;

    @TempDir
    Path dir;

    /** A vLLM Deployment {@code name} in namespace default whose container is {@code containerYaml} (indented 6). */
    private List<Map<String, Object>> deployment(String name, String podLabels, String containerYaml, String extra)
            throws IOException {
        return deployment(name, podLabels, containerYaml, extra, "[]");
    }

    /** As above, the gateway's plugin container with {@code gatewayEnv} (a YAML flow list). */
    private List<Map<String, Object>> deployment(String name, String podLabels, String containerYaml, String extra,
            String gatewayEnv) throws IOException {
        Path f = Files.createTempFile(dir, "m", ".yaml");
        Files.writeString(f, """
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: %s, namespace: default}
                spec:
                  selector: {matchLabels: {app: llama}}
                  template:
                    metadata:
                      labels: {app: llama%s}
                    spec:
                      containers:
                %s
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: aibrix-gateway-plugins, namespace: aibrix-system}
                spec:
                  template:
                    spec:
                      containers: [{name: gateway-plugin, image: 'aibrix/gateway-plugins:v0.4.0', env: %s}]
                %s""".formatted(name, podLabels, containerYaml.indent(6).stripTrailing(), gatewayEnv, extra));
        return Manifests.read(List.of(f));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> vllm(List<Map<String, Object>> objects) {
        return JsonTree.containers(objects.get(0)).get(0);
    }

    private static JsonObject config(List<Map<String, Object>> objects) {
        List<?> args = (List<?>) vllm(objects).get("args");
        return JsonParser.parseString(String.valueOf(args.get(args.indexOf("--kv-events-config") + 1))).getAsJsonObject();
    }

    private static String gatewayEnv(List<Map<String, Object>> objects, String name) {
        for (Map<String, Object> e : JsonTree.maps(JsonTree.containers(objects.get(1)).get(0).get("env"))) {
            if (name.equals(e.get("name"))) {
                return String.valueOf(e.get("value"));
            }
        }
        return null;
    }

    /** Finding 1: the model label AIBrix maps pods by is never changed; the topic names the served model. */
    @Test
    void theModelLabelIsNeverChangedAndTheTopicNamesTheServedModel() throws IOException {
        List<Map<String, Object>> objects = deployment("llama-prod", ", model.aibrix.ai/name: llama-3-8b", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [meta-llama/Meta-Llama-3-8B-Instruct, --served-model-name, llama-3-8b]
                """, "");
        List<Map<String, Object>> after = MigrationPlan.enable(objects, "llama-prod", OPTIONS).result();
        assertEquals("llama-3-8b", JsonTree.at(after.get(0), "spec", "template", "metadata", "labels", "model.aibrix.ai/name"));
        assertEquals("kv@$(POD_IP)@llama-3-8b", config(after).get("topic").getAsString());
        assertEquals("llama-3-8b", JsonTree.at(after.get(0), "metadata", "labels", "model.aibrix.ai/name"),
                "the Deployment takes the label the pods carry");

        List<Map<String, Object>> conflict = deployment("llama-prod", ", model.aibrix.ai/name: llama-3-8b", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [meta-llama/Meta-Llama-3-8B-Instruct, --served-model-name=llama3]
                """, "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MigrationPlan.enable(conflict, "llama-prod", OPTIONS));
        assertTrue(e.getMessage().contains("names its pods model.aibrix.ai/name=llama-3-8b but the engine serves [llama3]"), e.getMessage());

        List<Map<String, Object>> unlabelled = deployment("llama-prod", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [meta-llama/Meta-Llama-3-8B-Instruct, --served-model-name, llama-3-8b, llama3]
                """, "");
        assertEquals("kv@$(POD_IP)@llama-3-8b", config(MigrationPlan.enable(unlabelled, "llama-prod", OPTIONS).result())
                .get("topic").getAsString());
    }

    /** Finding 2: the gateway's block size is 4 × vLLM's (bytes of 4-byte tokens); 16 tokens by default → 64. */
    @Test
    void theGatewayBlockSizeIsFourTimesTheEnginesBlockSize() throws IOException {
        List<Map<String, Object>> plain = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [m]
                """, "");
        assertEquals("64", gatewayEnv(MigrationPlan.enable(plain, "llama", OPTIONS).result(), "AIBRIX_PREFIX_CACHE_BLOCK_SIZE"));
        List<Map<String, Object>> big = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [m, --block-size, "32"]
                """, "");
        List<Map<String, Object>> enabled = MigrationPlan.enable(big, "llama", OPTIONS).result();
        assertEquals("128", gatewayEnv(enabled, "AIBRIX_PREFIX_CACHE_BLOCK_SIZE"));
        assertTrue(ModelStatus.of(enabled, "llama", OPTIONS).get(0).problems().stream()
                .noneMatch(p -> p.contains("BLOCK_SIZE")), ModelStatus.of(enabled, "llama", OPTIONS).toString());
    }

    /** Finding 2: a second model whose block size differs from the one the gateway holds for others is refused. */
    @Test
    void aSecondModelWithAnotherBlockSizeIsRefusedUnlessForced() throws IOException {
        List<Map<String, Object>> objects = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [m, --block-size=32]
                """, """
                ---
                apiVersion: apps/v1
                kind: Deployment
                metadata: {name: qwen, namespace: default}
                spec:
                  selector: {matchLabels: {app: qwen}}
                  template:
                    metadata: {labels: {app: qwen}}
                    spec:
                      containers: [{name: vllm, image: 'vllm/vllm-openai:v0.11.0', args: [q]}]
                """);
        List<Map<String, Object>> llama = MigrationPlan.enable(objects, "llama", OPTIONS).result();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MigrationPlan.enable(llama, "qwen", OPTIONS));
        assertTrue(e.getMessage().contains("AIBRIX_PREFIX_CACHE_BLOCK_SIZE is 128") && e.getMessage().contains("default/llama"),
                e.getMessage());
        MigrationPlan forced = MigrationPlan.enable(llama, "qwen", OPTIONS.withForce(true));
        assertTrue(forced.warnings().stream().anyMatch(w -> w.contains("from 128 to 64")), forced.warnings().toString());
    }

    /** Finding 4: with data parallelism, ranks bind pub+r and replay+r: ranges apart, a port per rank. */
    @Test
    void dataParallelRanksGetNonOverlappingPortsEachDeclared() throws IOException {
        List<Map<String, Object>> objects = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [m, --data-parallel-size, "2"]
                """, """
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: llama, namespace: default}
                spec:
                  selector: {app: llama}
                  ports: [{name: http, port: 8000}]
                """);
        MigrationPlan plan = MigrationPlan.enable(objects, "llama", OPTIONS);
        List<Map<String, Object>> after = plan.result();
        assertEquals("tcp://*:5557", config(after).get("endpoint").getAsString());
        assertEquals("tcp://*:5559", config(after).get("replay_endpoint").getAsString());
        String yaml = Manifests.write(after);
        for (String port : List.of("name: kv-events\n", "name: kv-events-1", "name: kv-replay\n", "name: kv-replay-1",
                "containerPort: 5558", "containerPort: 5560", "port: 5560")) {
            assertTrue(yaml.contains(port), port + "\n" + yaml);
        }
        assertTrue(plan.warnings().stream().anyMatch(w -> w.contains("rank 0")), plan.warnings().toString());
    }

    /** Finding 5: flags go inside a one-command shell script, with its quoting; anything more is refused. */
    @Test
    void shellWrappedCommandsGetTheFlagInsideTheScript() throws IOException {
        for (String container : List.of("""
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  command: [/bin/sh, -c]
                  args: ["vllm serve meta-llama/Llama-3-8B --port 8000"]
                """, """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  command: [bash, -lc, "exec vllm serve meta-llama/Llama-3-8B --port 8000\\n"]
                """, """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  command: [bash]
                  args: [-c, "python3 -m vllm.entrypoints.openai.api_server --model 'meta-llama/Llama-3-8B'"]
                """, """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  command: [env, HF_HOME=/cache, sh, -ec, "vllm serve m --port 8000"]
                """)) {
            List<Map<String, Object>> objects = deployment("llama", "", container, "");
            Map<String, Object> before = JsonTree.copy(vllm(objects));
            List<Map<String, Object>> after = MigrationPlan.enable(objects, "llama", OPTIONS).result();
            List<String> words = io.kvevents.internal.kube.EnablePlanner.engineArgv(vllm(after));
            String json = words.get(words.indexOf("--kv-events-config") + 1);
            assertEquals("zmq", JsonParser.parseString(json).getAsJsonObject().get("publisher").getAsString(), container);
            String script = Manifests.write(List.of(Map.of("c", vllm(after))));
            assertFalse(script.contains("' --kv-events-config") && script.endsWith("--kv-events-config"), script);
            assertEquals(before, vllm(MigrationPlan.disable(after, "llama", OPTIONS, false).result()), "disable: " + container);
            assertEquals(ModelStatus.State.ENABLED, ModelStatus.of(after, "llama", OPTIONS).get(0).state(), container);
        }
        List<Map<String, Object>> complex = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  command: [sh, -c, "pip install x && vllm serve m"]
                """, "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MigrationPlan.enable(complex, "llama", OPTIONS));
        assertTrue(e.getMessage().startsWith("the engine's command line is a shell script with more than one simple command"),
                e.getMessage());
    }

    /** Finding 5: status sees a flag that sits after the script, where vLLM never reads it. */
    @Test
    void statusFlagsAKvEventsFlagOutsideTheScript() throws IOException {
        List<Map<String, Object>> objects = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  command: [bash, -lc, "vllm serve m", --kv-events-config, '{"enable_kv_cache_events":true,"publisher":"zmq"}']
                """, "");
        ModelStatus status = ModelStatus.of(objects, "llama", OPTIONS).get(0);
        assertEquals(ModelStatus.State.OFF, status.state(), status.toString());
        assertTrue(status.problems().stream().anyMatch(p -> p.contains("outside the shell script")), status.toString());
    }

    /** Finding 6: an existing config is merged: the operator's keys stay, ports and container/Service ports agree. */
    @Test
    void anExistingConfigIsMergedAndPortsAgree() throws IOException {
        List<Map<String, Object>> objects = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [m, --kv-events-config, '{"enable_kv_cache_events":false,"endpoint":"tcp://*:6000","replay_endpoint":"tcp://*:6001","buffer_steps":20000,"hwm":50000,"topic":"kv"}']
                """, "");
        MigrationPlan plan = MigrationPlan.enable(objects, "llama", OPTIONS);
        JsonObject c = config(plan.result());
        assertEquals("{\"enable_kv_cache_events\":true,\"endpoint\":\"tcp://*:6000\",\"replay_endpoint\":\"tcp://*:6001\","
                + "\"buffer_steps\":20000,\"hwm\":50000,\"topic\":\"kv\",\"publisher\":\"zmq\"}", c.toString());
        String yaml = Manifests.write(plan.result());
        assertTrue(yaml.contains("containerPort: 6000") && yaml.contains("containerPort: 6001"), yaml);
        assertTrue(plan.warnings().stream().anyMatch(w -> w.contains("connects to 5557 and 5558 only")), plan.warnings().toString());
        assertEquals(objects.get(0), MigrationPlan.disable(plan.result(), "llama", OPTIONS, false).result().get(0),
                "disable puts the operator's config back as it was");
    }

    /** Finding 9: ports that vLLM's HTTP server or a Service already uses are refused before anything changes. */
    @Test
    void portsTakenByVllmsHttpServerOrAServiceAreRefused() throws IOException {
        List<Map<String, Object>> objects = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [m]
                """, """
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: llama, namespace: default}
                spec:
                  selector: {app: llama}
                  ports: [{name: metrics, port: 5557, targetPort: 9000}]
                """);
        IllegalArgumentException http = assertThrows(IllegalArgumentException.class,
                () -> MigrationPlan.enable(objects, "llama", OPTIONS.withPorts(8000, 8001)));
        assertTrue(http.getMessage().startsWith("port 8000 is vLLM's HTTP port"), http.getMessage());
        IllegalArgumentException service = assertThrows(IllegalArgumentException.class,
                () -> MigrationPlan.enable(objects, "llama", OPTIONS));
        assertTrue(service.getMessage().startsWith("service/llama already uses port 5557 (metrics)"), service.getMessage());
    }

    /**
     * Finding 3: vLLM from 0.24 sends map events; AIBrix up to v0.7.0 and main at e3e10f9 decodes arrays only
     * (pkg/cache/kvcache/msgpack_decoder.go: "expected msgpack array") and drops every batch. Refused without
     * --force, naming both versions; status reports it.
     */
    @Test
    void mapEventsToAnArrayOnlyGatewayAreRefusedAndReported() throws IOException {
        List<Map<String, Object>> objects = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.24.1
                  args: [m]
                """, "");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> MigrationPlan.enable(objects, "llama", OPTIONS));
        assertTrue(e.getMessage().startsWith("vLLM 0.24.1 (vllm/vllm-openai:v0.24.1) sends KV events as maps, and the AIBrix"
                + " gateway 0.4.0 (aibrix/gateway-plugins:v0.4.0) decodes arrays only"), e.getMessage());
        List<Map<String, Object>> forced = MigrationPlan.enable(objects, "llama", OPTIONS.withForce(true)).result();
        ModelStatus status = ModelStatus.of(forced, "llama", OPTIONS).get(0);
        assertTrue(status.problems().stream().anyMatch(p -> p.contains("decodes arrays only")), status.toString());
    }

    /** Before vLLM 0.11.1 the publisher defaults to none: status flags a config that names none. */
    @Test
    void statusFlagsAConfigWithoutPublisherBeforeVllm0111() throws IOException {
        List<Map<String, Object>> objects = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.10.2
                  args: [m, --kv-events-config, '{"enable_kv_cache_events":true,"endpoint":"tcp://*:5557"}']
                """, "");
        ModelStatus status = ModelStatus.of(objects, "llama", OPTIONS).get(0);
        assertTrue(status.problems().stream().anyMatch(p -> p.contains("names no publisher")), status.toString());
        assertEquals("zmq", config(MigrationPlan.enable(objects, "llama", OPTIONS).result()).get("publisher").getAsString());
    }

    /**
     * Finding 8: the gateway tokenizes on the model's own pods (AIBRIX_VLLM_TOKENIZER_ENDPOINT_TEMPLATE, default
     * http://%s:8000, e3e10f9 prefix_cache.go) and only on pods it counts as vLLM (label model.aibrix.ai/engine=vllm,
     * env INFERENCE_ENGINE=vllm or a container port 8000, tokenizer_pool.go isVLLMPod).
     */
    @Test
    void theGatewayCanTokenizeOnTheModelsPods() throws IOException {
        List<Map<String, Object>> objects = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [m, --port, "9000"]
                """, "");
        List<Map<String, Object>> after = MigrationPlan.enable(objects, "llama", OPTIONS).result();
        assertEquals("vllm", JsonTree.at(after.get(0), "spec", "template", "metadata", "labels", "model.aibrix.ai/engine"));
        assertEquals("http://%s:9000", gatewayEnv(after, "AIBRIX_VLLM_TOKENIZER_ENDPOINT_TEMPLATE"));
        assertEquals(objects, MigrationPlan.disable(after, "llama", OPTIONS, false).result());

        List<Map<String, Object>> declared = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [m]
                  ports: [{name: http, containerPort: 8000}]
                """, "");
        List<Map<String, Object>> plain = MigrationPlan.enable(declared, "llama", OPTIONS).result();
        assertEquals(null, JsonTree.at(plain.get(0), "spec", "template", "metadata", "labels", "model.aibrix.ai/engine"),
                "a container port 8000 already makes it vLLM to the gateway");
        assertEquals(null, gatewayEnv(plain, "AIBRIX_VLLM_TOKENIZER_ENDPOINT_TEMPLATE"), "the default template fits");
    }

    /** The fixtures above, planned as people write them: every enable and disable patch is what kubectl makes of it. */
    @Test
    void everyPatchOfThesePlansIsWhatKubectlPatchMakesOfIt() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(KubectlPatchCheck.available(), "kubectl is not installed: patches not checked");
        List<Map<String, Object>> objects = deployment("llama-prod", ", model.aibrix.ai/name: llama-3-8b", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  command: [bash, -lc]
                  args: ["exec vllm serve m --served-model-name llama-3-8b --data-parallel-size 2 --kv-events-config '{\\"hwm\\":5}'"]
                """, """
                ---
                apiVersion: v1
                kind: Service
                metadata: {name: llama, namespace: default}
                spec:
                  selector: {app: llama}
                  ports: [{name: http, port: 8000}]
                """);
        MigrationPlan enabled = MigrationPlan.enable(objects, "llama-prod", OPTIONS);
        MigrationPlan disabled = MigrationPlan.disable(enabled.result(), "llama-prod", OPTIONS, false);
        assertEquals(objects, disabled.result());
        assertEquals(6, KubectlPatchCheck.check(dir, objects, enabled) + KubectlPatchCheck.check(dir, enabled.result(), disabled));
    }

    /**
     * Issue 13 #8: SGLang pods, as SGLang reads its flags (sgl-project/sglang 612d579090 disaggregation/kv_events.py:
     * KVEventsConfig publisher defaults to "null", no enable switch, ports offset per DP rank; server_args.py
     * 001067fffe: --page-size, --dp-size): enable writes a zmq publisher and a page size of 16, never vLLM's
     * switch or engine label, and disable gives the container back as it was, the script form included.
     */
    @Test
    void sglangGetsAZmqPublisherAndAPageSizeOf16AndComesBackAsWritten() throws IOException {
        for (String container : List.of("""
                - name: sglang
                  image: lmsysorg/sglang:v0.5.4
                  command: [python3, -m, sglang.launch_server]
                  args: [--model-path, meta-llama/Llama-3-8B, --port, "30000", --dp-size, "2"]
                """, """
                - name: engine
                  image: registry.local/llm:1
                  command: [sh, -c, "exec sglang serve --model-path meta-llama/Llama-3-8B --dp-size 2"]
                """, """
                - name: sglang
                  image: lmsysorg/sglang:v0.5.4
                  command: [python3, -m, sglang.launch_server]
                  args: [--model-path, meta-llama/Llama-3-8B, --port, "30000", --data-parallel-size, "2"]
                """)) {
            List<Map<String, Object>> objects = deployment("llama", "", container, "");
            Map<String, Object> before = JsonTree.copy(vllm(objects));
            MigrationPlan plan = MigrationPlan.enable(objects, "llama", OPTIONS);
            List<Map<String, Object>> after = plan.result();
            List<String> words = io.kvevents.internal.kube.EnablePlanner.engineArgv(vllm(after));
            JsonObject config = JsonParser.parseString(words.get(words.indexOf("--kv-events-config") + 1)).getAsJsonObject();
            assertEquals("zmq", config.get("publisher").getAsString(), container);
            assertFalse(config.has("enable_kv_cache_events"), "SGLang's KVEventsConfig has no such field: " + config);
            assertEquals("tcp://*:5557", config.get("endpoint").getAsString());
            assertEquals("tcp://*:5559", config.get("replay_endpoint").getAsString(), "two ranks: replay moves past 5558");
            assertEquals("16", words.get(words.indexOf("--page-size") + 1), container);
            assertEquals("sglang", JsonTree.at(after.get(0), "spec", "template", "metadata", "labels", "model.aibrix.ai/engine"));
            assertEquals("64", gatewayEnv(after, "AIBRIX_PREFIX_CACHE_BLOCK_SIZE"), "16-token pages, 4 bytes a token");
            assertEquals("http://%s:30000", gatewayEnv(after, "AIBRIX_VLLM_TOKENIZER_ENDPOINT_TEMPLATE"));
            assertTrue(plan.warnings().stream().anyMatch(w -> w.contains("runs SGLang") && w.contains("msgpack_decoder.go")),
                    plan.warnings().toString());
            // plain data parallelism: older SGLang publishes every rank on attn_dp_rank 0's ports
            // (managers/scheduler_metrics_mixin.py at 01bb3c807f: EventPublisherFactory.create(config, attn_dp_rank))
            assertTrue(plan.warnings().stream().anyMatch(w -> w.contains("without --enable-dp-attention")),
                    plan.warnings().toString());
            ModelStatus status = ModelStatus.of(after, "llama", OPTIONS).get(0);
            assertEquals(ModelStatus.State.ENABLED, status.state(), status.toString());
            ModelDeployment typed = ModelDeployment.find(after, "llama");
            assertEquals("sglang", typed.engine());
            assertTrue(typed.kvEvents().enabled(), "read inside the script too: " + typed);
            assertEquals(before, vllm(MigrationPlan.disable(after, "llama", OPTIONS, false).result()), "disable: " + container);
            assertEquals(ModelStatus.State.OFF, ModelStatus.of(objects, "llama", OPTIONS).get(0).state());
        }
    }

    /**
     * SGLang refuses pages larger than one token with EAGLE's tree drafting (speculative_eagle_topk > 1, which it picks
     * itself for some models) outside flashinfer: server_args.py raises "speculative_eagle_topk > 1 with page_size > 1
     * is unstable and produces incorrect results for paged attention backends". Found in review: enable's page size
     * of 16 would have put such a Deployment in a crash loop; the page is left at one token, with a warning, and the
     * gateway's block size follows it.
     */
    @Test
    void anSglangDeploymentWithSpeculativeDecodingKeepsItsOneTokenPage() throws IOException {
        List<Map<String, Object>> objects = deployment("llama", "", """
                - name: sglang
                  image: lmsysorg/sglang:v0.5.4
                  command: [python3, -m, sglang.launch_server, --model-path, m, --speculative-algorithm, EAGLE]
                """, "");
        MigrationPlan plan = MigrationPlan.enable(objects, "llama", OPTIONS);
        List<?> command = (List<?>) vllm(plan.result()).get("command");
        assertFalse(command.contains("--page-size"), command.toString());
        assertTrue(plan.warnings().stream().anyMatch(w -> w.contains("speculative decoding")), plan.warnings().toString());
        assertEquals("4", gatewayEnv(plan.result(), "AIBRIX_PREFIX_CACHE_BLOCK_SIZE"), "one-token pages, 4 bytes a token");
        // vLLM's separate seed flags are not SGLang's: its argument parser would exit on them
        IllegalArgumentException seed = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> MigrationPlan.enable(objects, "llama", OPTIONS.withVllmArgs(EnableOptions.VllmArgs.SEED)));
        assertTrue(seed.getMessage().contains("which SGLang does not take"), seed.getMessage());
    }

    /** An SGLang page size the operator chose stays; one token per page is worth a warning. */
    @Test
    void anSglangPageSizeThatIsSetStays() throws IOException {
        List<Map<String, Object>> objects = deployment("llama", "", """
                - name: sglang
                  image: lmsysorg/sglang:v0.5.4
                  command: [python3, -m, sglang.launch_server, --model-path, m, --page-size, "1"]
                """, "");
        MigrationPlan plan = MigrationPlan.enable(objects, "llama", OPTIONS);
        List<?> command = (List<?>) vllm(plan.result()).get("command");
        assertEquals("1", command.get(command.indexOf("--page-size") + 1));
        assertTrue(plan.warnings().stream().anyMatch(w -> w.contains("one block per token")), plan.warnings().toString());
        assertEquals("4", gatewayEnv(plan.result(), "AIBRIX_PREFIX_CACHE_BLOCK_SIZE"));
    }

    /**
     * AIBrix reads the model name from the {@code model.aibrix.ai/name} label, else from the annotation of that name,
     * which holds names a label value cannot (AIBrix e3e10f9 pkg/constants/model.go, ModelNameFromMetadata; used by
     * pkg/kvevent/manager.go isPodSubscribable). An annotated name is kept and no label is added; a served name with a
     * '/' goes into the annotation; with no --served-model-name the engine serves its model argument (vLLM 5ac26849
     * vllm/config/model.py get_served_model_name), not the Deployment's name.
     */
    @Test
    void aModelNameALabelCannotHoldIsAnnotatedAndTheServedNameIsTheModelArgument() throws Exception {
        List<Map<String, Object>> annotated = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [meta-llama/Llama-3-8B]
                """, "");
        JsonTree.child(annotated.get(0), "spec", "template", "metadata").put("annotations",
                new java.util.LinkedHashMap<>(Map.of("model.aibrix.ai/name", "meta-llama/Llama-3-8B")));
        MigrationPlan kept = MigrationPlan.enable(annotated, "llama", OPTIONS);
        assertEquals(null, JsonTree.at(kept.result().get(0), "spec", "template", "metadata", "labels", "model.aibrix.ai/name"),
                "the pods are named by their annotation: no label beside it");
        assertEquals("kv@$(POD_IP)@meta-llama/Llama-3-8B", config(kept.result()).get("topic").getAsString());
        assertEquals(annotated, MigrationPlan.disable(kept.result(), "llama", OPTIONS, false).result());
        assertEquals("llama", ModelDeployment.find(kept.result(), "meta-llama/Llama-3-8B").name(), "found by its annotation");

        List<Map<String, Object>> unnamed = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [meta-llama/Llama-3-8B, --block-size, "16"]
                """, "");
        MigrationPlan named = MigrationPlan.enable(unnamed, "llama", OPTIONS);
        List<Map<String, Object>> after = named.result();
        assertEquals("meta-llama/Llama-3-8B", JsonTree.at(after.get(0), "spec", "template", "metadata", "annotations",
                "model.aibrix.ai/name"), "vLLM serves its model argument, and a label value cannot hold a '/'");
        assertEquals(null, JsonTree.at(after.get(0), "spec", "template", "metadata", "labels", "model.aibrix.ai/name"));
        assertEquals("kv@$(POD_IP)@meta-llama/Llama-3-8B", config(after).get("topic").getAsString());
        assertEquals(unnamed, MigrationPlan.disable(after, "llama", OPTIONS, false).result());

        List<Map<String, Object>> plain = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  command: [vllm, serve, llama-3-8b]
                """, "");
        assertEquals("llama-3-8b", JsonTree.at(MigrationPlan.enable(plain, "llama", OPTIONS).result().get(0),
                "spec", "template", "metadata", "labels", "model.aibrix.ai/name"), "vllm serve MODEL serves MODEL");
        // a label that differs from a model argument read off the command line is worth a warning, not a refusal
        List<Map<String, Object>> labelled = deployment("llama", ", model.aibrix.ai/name: llama-3-8b", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [meta-llama/Llama-3-8B]
                """, "");
        MigrationPlan warned = MigrationPlan.enable(labelled, "llama", OPTIONS);
        assertTrue(warned.warnings().stream().anyMatch(w -> w.contains("serves [meta-llama/Llama-3-8B] (its model argument)")),
                warned.warnings().toString());
        assertEquals("kv@$(POD_IP)@llama-3-8b", config(warned.result()).get("topic").getAsString());
        if (KubectlPatchCheck.available()) {
            MigrationPlan off = MigrationPlan.disable(after, "llama", OPTIONS, false);
            assertEquals(4, KubectlPatchCheck.check(dir, unnamed, named) + KubectlPatchCheck.check(dir, after, off));
        }
    }

    /** A labelled vLLM Deployment and a gateway whose plugin container has {@code env} (a YAML flow list). */
    private List<Map<String, Object>> withGatewayEnv(String env) throws IOException {
        return deployment("llama", ", model.aibrix.ai/name: llama", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [m, --served-model-name, llama]
                """, "", env);
    }

    /**
     * AIBrix turns sync on only with AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT set (e3e10f9
     * pkg/cache/kv_event_manager_zmq.go, validateKVEventConfiguration; cache_init.go logs "Continue without KV sync"):
     * the migration guide's AIBRIX_REMOTE_TOKENIZER_ENDPOINT, which no AIBrix reads, carries over, and an enable with
     * no endpoint at all is refused rather than left with sync off.
     */
    @Test
    void theGuidesTokenizerEndpointCarriesOverAndAGatewayWithoutOneIsRefused() throws IOException {
        EnableOptions noTokenizer = EnableOptions.defaults();
        List<Map<String, Object>> guide = withGatewayEnv(
                "[{name: AIBRIX_REMOTE_TOKENIZER_ENDPOINT, value: 'http://tokenizer-service.default:8080'}]");
        List<Map<String, Object>> after = MigrationPlan.enable(guide, "llama", noTokenizer).result();
        assertEquals("http://tokenizer-service.default:8080", gatewayEnv(after, "AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT"));
        assertTrue(GatewayConfig.of(after.get(1)).problems().isEmpty(), GatewayConfig.of(after.get(1)).toString());

        for (String env : List.of("[]", "[{name: AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT, value: ''}]")) {
            List<Map<String, Object>> none = withGatewayEnv(env);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> MigrationPlan.enable(none, "llama", noTokenizer), env);
            assertTrue(e.getMessage().contains("no remote tokenizer endpoint") && e.getMessage().contains("--tokenizer URL"),
                    e.getMessage());
        }
    }

    /**
     * The gateway reads its switches with Go's strconv.ParseBool and compares the tokenizer type as written (e3e10f9
     * pkg/utils/util.go LoadEnvBool and LoadEnv; kv_event_manager_zmq.go {@code tokenizerType != "remote"}): "1" and
     * "True" are true, "tRuE" is not a boolean (the default, false), "Remote" is not remote. Enable leaves a switch
     * that already means true as written.
     */
    @Test
    void gatewaySettingsAreReadAsTheGatewaysGoCodeReadsThem() throws IOException {
        List<Map<String, Object>> objects = withGatewayEnv("""
                [{name: AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED, value: '1'},
                 {name: AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER, value: 'True'},
                 {name: AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE, value: 'remote'},
                 {name: AIBRIX_PREFIX_CACHE_REMOTE_TOKENIZER_ENDPOINT, value: 'http://t:8080'}]""");
        GatewayConfig on = GatewayConfig.of(objects.get(1));
        assertTrue(on.kvEventSync() && on.remoteTokenizer() && on.problems().isEmpty(), on.toString());
        List<Map<String, Object>> after = MigrationPlan.enable(objects, "llama", EnableOptions.defaults()).result();
        assertEquals("1", gatewayEnv(after, "AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED"), "already true to the gateway");
        assertEquals("True", gatewayEnv(after, "AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER"));

        GatewayConfig odd = GatewayConfig.of(withGatewayEnv("""
                [{name: AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED, value: 'tRuE'},
                 {name: AIBRIX_PREFIX_CACHE_USE_REMOTE_TOKENIZER, value: 'true'},
                 {name: AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE, value: 'Remote'}]""").get(1));
        assertFalse(odd.kvEventSync(), "tRuE is not a Go boolean: the default, off");
        assertTrue(odd.problems().stream().anyMatch(p -> p.contains("AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE is Remote")),
                odd.problems().toString());
        List<Map<String, Object>> fixed = MigrationPlan.enable(withGatewayEnv("""
                [{name: AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED, value: 'tRuE'}]"""), "llama", OPTIONS).result();
        assertEquals("true", gatewayEnv(fixed, "AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED"));
    }

    /**
     * A pod of a multi-node data-parallel engine runs --data-parallel-size-local ranks from
     * --data-parallel-start-rank, and each binds the ports + its global rank (vLLM 0181ea3 distributed/kv_events.py,
     * offset_endpoint_port): enable declares exactly those, as tail and doctor read them.
     */
    @Test
    void aPodStartedAtALaterDataParallelRankDeclaresThePortsItsRanksBind() throws IOException {
        List<Map<String, Object>> objects = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [m, --data-parallel-size, "8", --data-parallel-size-local, "2", --data-parallel-start-rank, "4"]
                """, "");
        MigrationPlan plan = MigrationPlan.enable(objects, "llama", OPTIONS);
        List<Map<String, Object>> ports = JsonTree.maps(vllm(plan.result()).get("ports"));
        assertEquals(List.of("kv-events-4=5561", "kv-replay-4=5563", "kv-events-5=5562", "kv-replay-5=5564"),
                ports.stream().map(p -> p.get("name") + "=" + p.get("containerPort")).toList());
        assertEquals("tcp://*:5559", config(plan.result()).get("replay_endpoint").getAsString());
        assertTrue(plan.warnings().stream().anyMatch(w -> w.contains("none of the data-parallel ranks 4-5")),
                plan.warnings().toString());
    }

    /** vLLM publishes nothing with an explicit "null" publisher (0181ea3 distributed/kv_events.py, EventPublisherFactory.create). */
    @Test
    void aNullPublisherIsNotPublishing() throws IOException {
        List<Map<String, Object>> objects = deployment("llama", "", """
                - name: vllm
                  image: vllm/vllm-openai:v0.11.0
                  args: [m, --kv-events-config, '{"enable_kv_cache_events":true,"publisher":"null"}']
                """, "");
        assertFalse(ModelDeployment.find(objects, "llama").kvEvents().enabled());
        assertEquals(ModelStatus.State.OFF, ModelStatus.of(objects, "llama", OPTIONS).get(0).state(),
                ModelStatus.of(objects, "llama", OPTIONS).toString());
        assertEquals("zmq", config(MigrationPlan.enable(objects, "llama", OPTIONS).result()).get("publisher").getAsString());
    }
}
