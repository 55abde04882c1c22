package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvevents.cli.CliHarness.Result;
import io.kvevents.sdk.Manifests;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code enable/disable --local -f}: manifests in, manifests out, for GitOps. */
class EnableDisableLocalTest {
    static final Path MANIFESTS = TailCommandTest.EXAMPLES.resolve("manifests");

    @TempDir
    Path dir;

    @Test
    void enablePrintsTheManifestsThenDisablePrintsTheOriginalsBack() throws Exception {
        String deployment = MANIFESTS.resolve("llama-deployment.yaml").toString();
        String gateway = MANIFESTS.resolve("gateway-deployment.yaml").toString();
        Result enabled = CliHarness.run("enable", "llama-3-8b", "--local", "-f", deployment, "-f", gateway,
                "--tokenizer", "http://tokenizer-service.default:8080");
        assertEquals(0, enabled.exitCode(), enabled.err());
        assertEquals(List.of("deployment.apps/llama-3-8b configured (local)", "service/llama-3-8b configured (local)",
                "deployment.apps/aibrix-gateway-plugins configured (local)"), enabled.errLines());
        assertTrue(enabled.out().contains("--kv-events-config"));
        Path file = dir.resolve("enabled.yaml");
        Files.writeString(file, enabled.out());

        Result again = CliHarness.run("enable", "llama-3-8b", "--local", "-f", file.toString());
        assertEquals(enabled.out(), again.out());
        assertTrue(again.errLines().stream().allMatch(l -> l.endsWith(" unchanged")), again.err());

        Result disabled = CliHarness.run("disable", "llama-3-8b", "--local", "-f", file.toString());
        assertEquals(0, disabled.exitCode(), disabled.err());
        Path back = dir.resolve("back.yaml");
        Files.writeString(back, disabled.out());
        assertEquals(Manifests.read(List.of(MANIFESTS.resolve("llama-deployment.yaml"), MANIFESTS.resolve("gateway-deployment.yaml"))),
                Manifests.read(List.of(back)));
    }

    @Test
    void patchOutputIsOneJsonPatchPerObject() {
        Result r = CliHarness.run("enable", "llama-3-8b", "--local", "-f", MANIFESTS.resolve("llama-deployment.yaml").toString(),
                "-o", "patch");
        assertEquals(0, r.exitCode(), r.err());
        assertEquals(2, r.outLines().size());
        assertTrue(r.outLines().get(0).startsWith("{\"target\":\"deployment.apps/llama-3-8b\",\"namespace\":\"default\","
                + "\"patch\":[{\"op\":\"add\",\"path\":\"/metadata/labels/model.aibrix.ai~1kv-events-enabled\""), r.out());
        assertTrue(r.err().contains("warning: the gateway deployment.apps/aibrix-gateway-plugins (namespace aibrix-system)"
                + " is not in the manifests"), r.err());
    }

    @Test
    void failuresAreOneLine() {
        Result noCluster = CliHarness.run("enable", "llama-3-8b", "--kubeconfig", dir.resolve("none").toString());
        assertEquals(1, noCluster.exitCode());
        assertEquals(1, noCluster.errLines().size(), noCluster.err());
        Result missing = CliHarness.run("enable", "mistral", "--local", "-f", MANIFESTS.resolve("llama-deployment.yaml").toString());
        assertEquals(1, missing.exitCode());
        assertEquals(List.of("error: no Deployment named mistral (Deployments: [llama-3-8b])"), missing.errLines());
        Result noFile = CliHarness.run("enable", "x", "--local", "-f", dir.resolve("nope.yaml").toString());
        assertEquals(List.of("error: " + dir.resolve("nope.yaml") + " does not exist"), noFile.errLines());
        Result style = CliHarness.run("enable", "x", "--local", "-f", MANIFESTS.resolve("llama-deployment.yaml").toString(),
                "--vllm-args", "magic");
        assertEquals(2, style.exitCode());
    }

    /** -f without --local used to be ignored: the command planned against the cluster instead of the files. */
    @Test
    void aFileWithoutLocalIsAUsageErrorNotASilentClusterRun() {
        for (String command : List.of("enable", "disable", "status")) {
            Result r = CliHarness.run(command, "llama-3-8b", "-f", MANIFESTS.resolve("llama-deployment.yaml").toString(),
                    "--kubeconfig", dir.resolve("none").toString());
            assertEquals(2, r.exitCode(), command + ": " + r.err());
            assertTrue(r.errLines().get(0).startsWith("error: -f FILE ") && r.err().contains("needs --local"), r.err());
        }
    }

    @Test
    void statusShowsOffThenEnabled() throws Exception {
        String deployment = MANIFESTS.resolve("llama-deployment.yaml").toString();
        String gateway = MANIFESTS.resolve("gateway-deployment.yaml").toString();
        Result off = CliHarness.run("status", "--local", "-f", deployment, "-f", gateway);
        assertEquals(0, off.exitCode(), off.err());
        assertTrue(off.outLines().get(1).matches("llama-3-8b +default +off +- +--kv-events-config flag; .*"), off.out());
        Path file = dir.resolve("enabled.yaml");
        Files.writeString(file, CliHarness.run("enable", "llama-3-8b", "--local", "-f", deployment, "-f", gateway,
                "--tokenizer", "http://t:8080").out());
        Result on = CliHarness.run("status", "llama-3-8b", "--local", "-f", file.toString(), "-o", "json");
        assertTrue(on.out().contains("\"state\": \"enabled\""), on.out());
        // kubectl get NAME prints the one object (kubectl dee3483a3 pkg/cmd/get/get.go), with four-space indents
        // (cli-runtime 69e8693b2560 pkg/printers/json.go)
        assertEquals("llama-3-8b", com.google.gson.JsonParser.parseString(on.out()).getAsJsonObject().get("model").getAsString());
        assertTrue(on.out().startsWith("{\n    \""), on.out());
        // Issue 14: several objects print as kubectl prints them, a kind: List; -o name, --no-headers, -l as kubectl's
        Result all = CliHarness.run("status", "--local", "-f", file.toString(), "-o", "json");
        com.google.gson.JsonObject list = com.google.gson.JsonParser.parseString(all.out()).getAsJsonObject();
        assertEquals("List", list.get("kind").getAsString());
        assertEquals("v1", list.get("apiVersion").getAsString());
        assertEquals("llama-3-8b", list.getAsJsonArray("items").get(0).getAsJsonObject().get("model").getAsString());
        Result yaml = CliHarness.run("status", "--local", "-f", file.toString(), "-o", "yaml");
        assertTrue(yaml.out().startsWith("apiVersion: v1\nitems:\n"), yaml.out());
        assertTrue(yaml.out().contains("\nkind: List\n") && !yaml.out().contains("&id"), yaml.out());
        assertEquals(List.of("deployment.apps/llama-3-8b"),
                CliHarness.run("status", "--local", "-f", file.toString(), "-o", "name").outLines());
        Result bare = CliHarness.run("status", "--local", "-f", file.toString(), "--no-headers");
        assertTrue(bare.outLines().get(0).startsWith("llama-3-8b "), bare.out());
        assertEquals(List.of("deployment.apps/llama-3-8b"), CliHarness.run("status", "--local", "-f", file.toString(),
                "-l", "model.aibrix.ai/name in (llama-3-8b, other)", "-o", "name").outLines());
        assertEquals(List.of(), CliHarness.run("status", "--local", "-f", file.toString(),
                "-l", "model.aibrix.ai/name notin (llama-3-8b)", "-o", "name").outLines());
        // kubectl's -o jsonpath templates (k8s.io/client-go/util/jsonpath): paths, filters, range, literals
        assertEquals("llama-3-8b", CliHarness.run("status", "--local", "-f", file.toString(),
                "-o", "jsonpath={.items[*].model}").out());
        assertEquals("llama-3-8b\tenabled\n", CliHarness.run("status", "--local", "-f", file.toString(),
                "-o", "jsonpath={range .items[*]}{.model}{\"\\t\"}{.state}{\"\\n\"}{end}").out());
        assertEquals("", CliHarness.run("status", "--local", "-f", file.toString(),
                "-o", "jsonpath={.items[?(@.state==\"off\")].model}").out());
        Result unclosed = CliHarness.run("status", "--local", "-f", file.toString(), "-o", "jsonpath={.items");
        assertEquals(2, unclosed.exitCode());
        assertTrue(unclosed.err().contains("unclosed {"), unclosed.err());
        Result noCluster = CliHarness.run("status", "--kubeconfig", dir.resolve("none").toString());
        assertEquals(1, noCluster.exitCode());
    }

    @Test
    void aLabelSelectorEnablesEveryDeploymentItMatches() {
        String deployment = MANIFESTS.resolve("llama-deployment.yaml").toString();
        String gateway = MANIFESTS.resolve("gateway-deployment.yaml").toString();
        Result byName = CliHarness.run("enable", "llama-3-8b", "--local", "-f", deployment, "-f", gateway, "--tokenizer", "http://t:80");
        Result bySelector = CliHarness.run("enable", "-l", "app=llama-3-8b", "--local", "-f", deployment, "-f", gateway,
                "--tokenizer", "http://t:80");
        assertEquals(0, bySelector.exitCode(), bySelector.err());
        assertEquals(byName.out(), bySelector.out());
        Result none = CliHarness.run("enable", "-l", "app=mistral", "--local", "-f", deployment, "-f", gateway);
        assertEquals(1, none.exitCode());
        assertEquals(java.util.List.of("error: no vLLM or SGLang Deployment in the manifests matches -l app=mistral"), none.errLines());
        Result both = CliHarness.run("enable", "llama-3-8b", "-l", "app=llama-3-8b", "--local", "-f", deployment);
        assertEquals(2, both.exitCode());
        Result setBased = CliHarness.run("enable", "-l", "app in (mistral, llama-3-8b)", "--local", "-f", deployment,
                "-f", gateway, "--tokenizer", "http://t:80");
        assertEquals(0, setBased.exitCode(), setBased.err());
        assertEquals(byName.out(), setBased.out());
        assertEquals(2, CliHarness.run("enable", "-l", "app in ()", "--local", "-f", deployment).exitCode());
    }

    /** Issue 14: status -w as kubectl get -w: the table, then a row each time a model changes, until --request-timeout. */
    @Test
    void statusWatchPrintsARowWhenAModelChanges() throws Exception {
        String deployment = MANIFESTS.resolve("llama-deployment.yaml").toString();
        String gateway = MANIFESTS.resolve("gateway-deployment.yaml").toString();
        Path file = dir.resolve("watched.yaml");
        Files.writeString(file, Files.readString(Path.of(deployment)) + "\n---\n" + Files.readString(Path.of(gateway)));
        String enabled = CliHarness.run("enable", "llama-3-8b", "--local", "-f", file.toString(), "--tokenizer",
                "http://t:8080").out();
        CliHarness.SharedText out = new CliHarness.SharedText();
        CliHarness.SharedText err = new CliHarness.SharedText();
        java.util.concurrent.CompletableFuture<Result> watching = java.util.concurrent.CompletableFuture.supplyAsync(
                () -> CliHarness.run(out, err, "status", "--local", "-f", file.toString(), "-w", "--request-timeout", "5s"));
        long until = System.nanoTime() + 5_000_000_000L;
        while (!out.toString().contains(" off ") && System.nanoTime() < until) {
            Thread.sleep(50);
        }
        Path next = dir.resolve("watched.next");
        Files.writeString(next, enabled);
        Files.move(next, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Result r = watching.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertEquals(0, r.exitCode(), r.err());
        List<String> lines = r.outLines();
        assertEquals(3, lines.size(), r.out());
        assertTrue(lines.get(0).startsWith("MODEL "), r.out());
        assertTrue(lines.get(1).matches("llama-3-8b +default +off .*"), r.out());
        assertTrue(lines.get(2).matches("llama-3-8b +default +enabled .*"), r.out());
        assertEquals(2, CliHarness.run("status", "--local", "-f", file.toString(), "-w", "-o", "json").exitCode());
    }
}
