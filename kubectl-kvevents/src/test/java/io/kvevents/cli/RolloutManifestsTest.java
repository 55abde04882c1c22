package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvevents.cli.CliHarness.Result;
import io.kvevents.sdk.Manifests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Issue 15 on manifests (GitOps): the canary is a new Deployment in the output; promote and abort take it out again. */
class RolloutManifestsTest {
    private static final String TOKENIZER = "http://tokenizer-service.default:8080";

    @TempDir
    Path dir;

    private static Map<String, Object> find(List<Map<String, Object>> objects, String kind, String name) {
        return objects.stream().filter(o -> kind.equals(o.get("kind")) && name.equals(((Map<?, ?>) o.get("metadata")).get("name")))
                .findFirst().orElse(null);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(Map<String, Object> o) {
        return (Map<String, Object>) o.get("spec");
    }

    private Path write(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return f;
    }

    @Test
    void aCanaryOnManifestsIsANewDeploymentThatPromotionAndAbortTakeOutAgain() throws Exception {
        Path in = EnableDisableLocalTest.MANIFESTS;
        List<Map<String, Object>> original = Manifests.read(List.of(in));
        Result canary = CliHarness.run("enable", "llama-3-8b", "--canary", "50%", "--local", "-f", in.toString(),
                "--tokenizer", TOKENIZER);
        assertEquals(0, canary.exitCode(), canary.err());
        assertTrue(canary.err().contains("deployment.apps/llama-3-8b configured (local)"), canary.err());
        assertTrue(canary.err().contains("deployment.apps/llama-3-8b-kvevents-canary created (local)"), canary.err());
        Path split = write("split.yaml", canary.out());
        List<Map<String, Object>> objects = Manifests.read(List.of(split));
        assertEquals(original.size() + 1, objects.size());
        Map<String, Object> stable = find(objects, "Deployment", "llama-3-8b");
        Map<String, Object> c = find(objects, "Deployment", "llama-3-8b-kvevents-canary");
        assertEquals(1, spec(stable).get("replicas"));
        assertEquals(1, spec(c).get("replicas"));
        assertEquals(spec(find(original, "Deployment", "llama-3-8b")).get("template"), spec(stable).get("template"),
                "the stable pods' template comes back as written");
        assertTrue(String.valueOf(spec(c).get("template")).contains("--kv-events-config"));
        assertTrue(String.valueOf(spec(c).get("selector")).contains("kvevents.io/track=canary"), spec(c).toString());
        assertTrue(canary.out().contains("# The remote tokenizer the gateway calls"), "untouched documents come back as"
                + " written, comments included: " + canary.out());

        Result promoted = CliHarness.run("enable", "llama-3-8b", "--local", "-f", split.toString(), "--tokenizer", TOKENIZER);
        assertEquals(0, promoted.exitCode(), promoted.err());
        assertTrue(promoted.err().contains("warning: delete deployment.apps/llama-3-8b-kvevents-canary once"
                + " deployment.apps/llama-3-8b has rolled out"), promoted.err());
        List<Map<String, Object>> done = Manifests.read(List.of(write("done.yaml", promoted.out())));
        assertEquals(original.size(), done.size());
        Map<String, Object> enabled = find(done, "Deployment", "llama-3-8b");
        assertEquals(2, spec(enabled).get("replicas"));
        assertTrue(String.valueOf(spec(enabled).get("template")).contains("--kv-events-config"));
        assertFalse(String.valueOf(((Map<?, ?>) enabled.get("metadata")).get("annotations")).contains("kvevents.io/rollout"));

        Result aborted = CliHarness.run("disable", "llama-3-8b", "--local", "-f", split.toString());
        assertEquals(0, aborted.exitCode(), aborted.err());
        assertTrue(aborted.err().contains("deployment.apps/llama-3-8b-kvevents-canary deleted (local)"), aborted.err());
        assertEquals(original, Manifests.read(List.of(write("aborted.yaml", aborted.out()))),
                "every object back as it was before the canary");
    }

    @Test
    void aBlueGreenOnManifestsCutsOverToBlueAtZero() throws Exception {
        Path in = EnableDisableLocalTest.MANIFESTS;
        Result green = CliHarness.run("enable", "llama-3-8b", "--blue-green", "--local", "-f", in.toString(),
                "--tokenizer", TOKENIZER);
        assertEquals(0, green.exitCode(), green.err());
        Path both = write("both.yaml", green.out());
        assertEquals(2, spec(find(Manifests.read(List.of(both)), "Deployment", "llama-3-8b-kvevents-green")).get("replicas"));
        Result cut = CliHarness.run("enable", "llama-3-8b", "--local", "-f", both.toString());
        assertEquals(0, cut.exitCode(), cut.err());
        List<Map<String, Object>> after = Manifests.read(List.of(write("cut.yaml", cut.out())));
        assertEquals(0, spec(find(after, "Deployment", "llama-3-8b")).get("replicas"));
        assertEquals(2, spec(find(after, "Deployment", "llama-3-8b-kvevents-green")).get("replicas"));
    }
}
