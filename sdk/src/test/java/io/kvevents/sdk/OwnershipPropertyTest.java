package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kvevents.internal.kube.JsonTree;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A property of enable and disable on random manifests: whatever the user edits between them (fields enable
 * does not own), disable leaves exactly the original objects with those edits; with no edits, exactly the
 * original objects.
 */
class OwnershipPropertyTest {

    @ParameterizedTest
    @ValueSource(longs = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20})
    void disableGivesBackTheOriginalsWithEveryEditMadeSince(long seed) {
        Random r = new Random(seed);
        for (int round = 0; round < 25; round++) {
            List<Map<String, Object>> original = manifests(r);
            List<Map<String, Object>> enabled = MigrationPlan.enable(original, "m", MigrationPlanTest.OPTIONS).result();
            assertEquals(original, MigrationPlan.disable(enabled, "m", MigrationPlanTest.OPTIONS, false).result(),
                    "enable; disable on untouched objects (seed " + seed + ", round " + round + ")");

            List<Map<String, Object>> expected = JsonTree.copy(original);
            List<Map<String, Object>> edited = JsonTree.copy(enabled);
            int edits = 1 + r.nextInt(6);
            List<String> done = new ArrayList<>();
            for (int i = 0; i < edits; i++) {
                int object = r.nextInt(3);
                Edit e = edit(r, object);
                e.change().accept(expected.get(object));
                e.change().accept(edited.get(object));
                done.add(e.name());
            }
            assertEquals(expected, MigrationPlan.disable(edited, "m", MigrationPlanTest.OPTIONS, false).result(),
                    "edits " + done + " (seed " + seed + ", round " + round + ")");
        }
    }

    private record Edit(String name, Consumer<Map<String, Object>> change) {
    }

    /** A user's edit of a field enable does not own, on object 0 (model), 1 (Service) or 2 (gateway). */
    private static Edit edit(Random r, int object) {
        // every random choice is made here, once: the same edit is applied to two trees
        String v = "v" + r.nextInt(1000);
        int port = 6000 + r.nextInt(100);
        int replicas = 2 + r.nextInt(3);
        return switch (object) {
            case 0 -> switch (r.nextInt(6)) {
                case 0 -> new Edit("label", o -> JsonTree.child(o, "metadata", "labels").put("team", v));
                case 1 -> new Edit("pod label", o -> JsonTree.child(o, "spec", "template", "metadata", "labels").put("tier", v));
                case 2 -> new Edit("arg", o -> JsonTree.list(vllm(o), "args").add("--max-model-len=" + v.substring(1)));
                case 3 -> new Edit("env", o -> JsonTree.list(vllm(o), "env").add(map("name", "HF_HOME", "value", v)));
                case 4 -> new Edit("annotation", o -> JsonTree.child(o, "metadata", "annotations").put("owner", v));
                default -> new Edit("image", o -> vllm(o).put("image", "vllm/vllm-openai:v0.11." + v.substring(1)));
            };
            case 1 -> switch (r.nextInt(2)) {
                case 0 -> new Edit("service port", o -> JsonTree.list(JsonTree.child(o, "spec"), "ports")
                        .add(map("name", "debug", "port", port)));
                default -> new Edit("service label", o -> JsonTree.child(o, "metadata", "labels").put("team", v));
            };
            default -> switch (r.nextInt(2)) {
                case 0 -> new Edit("gateway env", o -> JsonTree.list(gatewayPlugin(o), "env")
                        .add(map("name", "AIBRIX_GPU_OPTIMIZER_TRACING_FLAG_" + v, "value", "true")));
                default -> new Edit("gateway replicas", o -> JsonTree.child(o, "spec").put("replicas", replicas));
            };
        };
    }

    private static Map<String, Object> vllm(Map<String, Object> d) {
        return JsonTree.containers(d).stream().filter(c -> "vllm".equals(c.get("name"))).findFirst().orElseThrow();
    }

    private static Map<String, Object> gatewayPlugin(Map<String, Object> d) {
        return JsonTree.containers(d).stream().filter(c -> "gateway-plugin".equals(c.get("name"))).findFirst().orElseThrow();
    }

    /** A model Deployment {@code m}, its Service and the gateway, with random sidecars, labels, args, env and ports. */
    private static List<Map<String, Object>> manifests(Random r) {
        List<Object> containers = new ArrayList<>();
        Map<String, Object> vllm = map("name", "vllm", "image", "vllm/vllm-openai:v0." + (9 + r.nextInt(15)) + ".1");
        if (r.nextBoolean()) {
            vllm.put("command", new ArrayList<>(List.of("vllm", "serve")));
        }
        List<Object> args = new ArrayList<>(List.of("org/model"));
        for (int i = r.nextInt(3); i > 0; i--) {
            args.add(List.of("--port=8000", "--block-size", "32", "--served-model-name=m", "--gpu-memory-utilization=0.9")
                    .get(r.nextInt(5)));
        }
        vllm.put("args", args);
        if (r.nextBoolean()) {
            vllm.put("env", new ArrayList<>(List.of(map("name", "VLLM_LOGGING_LEVEL", "value", "INFO"))));
        }
        if (r.nextBoolean()) {
            vllm.put("ports", new ArrayList<>(List.of(map("name", "http", "containerPort", 8000))));
        }
        containers.add(vllm);
        if (r.nextBoolean()) {
            containers.add(r.nextInt(containers.size() + 1), map("name", "log-shipper", "image", "fluent/fluent-bit:3.1"));
        }
        Map<String, Object> podLabels = map("app", "m");
        if (r.nextBoolean()) {
            podLabels.put("model.aibrix.ai/name", "m");
        }
        Map<String, Object> meta = map("name", "m", "namespace", "default");
        if (r.nextBoolean()) {
            meta.put("labels", map("app", "m"));
        }
        if (r.nextBoolean()) {
            meta.put("annotations", map("deployment.kubernetes.io/revision", "3"));
        }
        Map<String, Object> deployment = map("apiVersion", "apps/v1", "kind", "Deployment", "metadata", meta,
                "spec", map("replicas", 1 + r.nextInt(4), "selector", map("matchLabels", map("app", "m")),
                        "template", map("metadata", map("labels", podLabels), "spec", map("containers", containers))));
        List<Object> servicePorts = new ArrayList<>(List.of(map("name", "http", "port", 8000, "targetPort", 8000)));
        Map<String, Object> service = map("apiVersion", "v1", "kind", "Service", "metadata", map("name", "m", "namespace", "default"),
                "spec", map("selector", map("app", "m"), "ports", servicePorts));
        List<Object> gatewayContainers = new ArrayList<>();
        Map<String, Object> plugin = map("name", "gateway-plugin", "image", "aibrix/gateway-plugins:v0.4.0");
        if (r.nextBoolean()) {
            plugin.put("env", new ArrayList<>(List.of(map("name", "AIBRIX_PREFIX_CACHE_TOKENIZER_TYPE", "value", "character"))));
        }
        gatewayContainers.add(plugin);
        if (r.nextBoolean()) {
            gatewayContainers.add(0, map("name", "istio-proxy", "image", "docker.io/istio/proxyv2:1.22.0"));
        }
        Map<String, Object> gateway = map("apiVersion", "apps/v1", "kind", "Deployment",
                "metadata", map("name", "aibrix-gateway-plugins", "namespace", "aibrix-system"),
                "spec", map("replicas", 1, "template", map("spec", map("containers", gatewayContainers))));
        return new ArrayList<>(List.of(deployment, service, gateway));
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(String.valueOf(kv[i]), kv[i + 1]);
        }
        return m;
    }
}
