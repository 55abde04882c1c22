package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: what the user did not ask to change comes back as written through {@code --local}: scalars YAML 1.1
 * would reinterpret, objects and documents the plan left alone (comments and all), {@code kind: List} wrappers,
 * and documents past SnakeYAML's default 3 MB limit.
 */
class ManifestsFidelityTest {
    static final EnableOptions OPTIONS = MigrationPlanTest.OPTIONS;

    @TempDir
    Path dir;

    private static final String MODEL = """
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: llama
              namespace: default
              annotations:
                released: 2024-01-01
                window: 10:30
                legacy: on
                mode: 0755
                mask: 0x1F
                ratio: 1.50
                big: 1e3
                quoted: "8000"
                long: a value that is rather longer than eighty characters and that a YAML emitter would like to fold
            spec:
              selector: {matchLabels: {app: llama}}
              template:
                metadata:
                  labels: {app: llama}
                spec:
                  containers:
                  - name: vllm
                    image: vllm/vllm-openai:v0.11.0
                    args: [m]
                    resources:
                      limits: {cpu: 0.5, memory: 16Gi}
            """;

    private static final String GATEWAY = """
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: aibrix-gateway-plugins, namespace: aibrix-system}
            spec:
              template:
                spec:
                  containers: [{name: gateway-plugin, image: 'aibrix/gateway-plugins:v0.4.0'}]
            """;

    private static final String UNTOUCHED = """
            # the team's notes about this ConfigMap
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: notes   # keep
              namespace: default
            data:
              since: 2024-01-01
              at: 10:30
            """;

    private String enable(String yaml) throws IOException {
        Path f = dir.resolve("in.yaml");
        Files.writeString(f, yaml);
        Manifests.Loaded loaded = Manifests.load(List.of(f));
        MigrationPlan plan = MigrationPlan.enable(loaded.objects(), "llama", OPTIONS);
        return Manifests.write(plan.result(), loaded.layout());
    }

    @Test
    void scalarsTheUserWroteComeBackAsWritten() throws IOException {
        String out = enable(MODEL + "---\n" + GATEWAY);
        // 0755 is the one exception: kubectl reads it as the octal number 493, which is what comes back
        for (String line : List.of("released: 2024-01-01\n", "window: 10:30\n", "legacy: on\n", "mode: 493\n",
                "mask: 0x1F\n", "ratio: 1.50\n", "big: 1e3\n", "quoted: '8000'\n", "cpu: 0.5\n",
                "long: a value that is rather longer than eighty characters and that a YAML emitter would like to fold\n")) {
            assertTrue(out.contains(line), line + " in\n" + out);
        }
        assertTrue(out.contains("--kv-events-config"), out);
        assertTrue(!out.contains("&id0") && !out.contains("*id0"), "no YAML anchors:\n" + out);
    }

    /**
     * A string that came in quoted stays quoted where YAML 1.1 (kubectl's) would read it plain as a number or a bool:
     * args must be strings, and an apply would fail on {@code - 0.9}.
     */
    @Test
    void quotedStringsThatLookLikeNumbersOrBoolsStayQuoted() throws IOException {
        String out = enable(MODEL.replace("args: [m]", "args: [m, --gpu-memory-utilization, \"0.9\", \"yes\", \"on\", \"0x1F\"]")
                + "---\n" + GATEWAY);
        for (String line : List.of("- '0.9'\n", "- 'yes'\n", "- 'on'\n", "- '0x1F'\n", "legacy: on\n", "ratio: 1.50\n")) {
            assertTrue(out.contains(line), line + " in\n" + out);
        }
    }

    @Test
    void documentsThePlanLeftAloneComeBackVerbatimCommentsIncluded() throws IOException {
        String out = enable(UNTOUCHED + "---\n" + MODEL + "---\n" + GATEWAY);
        assertTrue(out.startsWith(UNTOUCHED), out);
        assertTrue(out.contains("--kv-events-config"), out);
    }

    @Test
    void aKindListStaysAListWithItsItemsChangedInPlace() throws IOException {
        String list = "apiVersion: v1\nkind: List\nmetadata: {resourceVersion: \"\"}\nitems:\n"
                + (MODEL + "---\n" + GATEWAY).replaceAll("(?m)^---\\n", "").lines()
                        .map(l -> l.startsWith("apiVersion") ? "- " + l : "  " + l)
                        .reduce("", (a, b) -> a + b + "\n");
        String out = enable(list);
        Map<?, ?> doc = (Map<?, ?>) new org.yaml.snakeyaml.Yaml().load(out);
        assertEquals("List", doc.get("kind"));
        assertEquals(2, ((List<?>) doc.get("items")).size());
        assertTrue(out.contains("--kv-events-config"), out);
    }

    @Test
    void aFiveMegabyteDocumentIsRead() throws IOException {
        Path f = dir.resolve("big.yaml");
        String blob = "x".repeat(5 * 1024 * 1024);
        Files.writeString(f, "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: big, namespace: default}\ndata:\n  blob: "
                + blob + "\n");
        List<Map<String, Object>> objects = Manifests.read(List.of(f));
        assertEquals(blob.length(), String.valueOf(((Map<?, ?>) objects.get(0).get("data")).get("blob")).length());
    }

    @Test
    void aDirectoryIsEveryManifestFileInItInNameOrder() throws IOException {
        Path d = Files.createDirectory(dir.resolve("manifests"));
        Files.writeString(d.resolve("b.yaml"), GATEWAY);
        Files.writeString(d.resolve("a.yml"), MODEL);
        Files.writeString(d.resolve("README.md"), "not a manifest");
        List<Map<String, Object>> objects = Manifests.read(List.of(d));
        assertEquals(List.of("llama", "aibrix-gateway-plugins"),
                objects.stream().map(o -> String.valueOf(((Map<?, ?>) o.get("metadata")).get("name"))).toList());
    }
}
