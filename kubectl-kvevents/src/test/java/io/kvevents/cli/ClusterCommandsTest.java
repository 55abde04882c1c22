package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.kvevents.cli.CliHarness.Result;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** status, enable and disable against a real HTTP API server (fabric8's mock server, CRUD mode), through kubectl's flags. */
class ClusterCommandsTest {
    @TempDir
    Path dir;

    @Test
    void statusEnableAndDisableAgainstTheApiServer() throws Exception {
        try (ExampleCluster cluster = ExampleCluster.start(dir)) {
            String kubeconfig = cluster.kubeconfig.toString();
            Result r = CliHarness.run("status", "--kubeconfig", kubeconfig, "-n", "default");
            assertEquals(0, r.exitCode(), r.err());
            assertTrue(r.outLines().get(1).matches("llama-3-8b +default +off +- +--kv-events-config flag; .*"), r.out());
            Result plan = CliHarness.run("enable", "-l", "app=llama-3-8b", "--kubeconfig", kubeconfig, "-n", "default",
                    "--dry-run=client", "--tokenizer", "http://tokenizer-service.default:8080");
            assertEquals(0, plan.exitCode(), plan.err());
            assertEquals(List.of("deployment.apps/llama-3-8b patched (client dry run)", "service/llama-3-8b patched (client dry run)",
                    "deployment.apps/aibrix-gateway-plugins patched (client dry run)"), plan.outLines());
            Result enabled = CliHarness.run("enable", "llama-3-8b", "--kubeconfig", kubeconfig, "-n", "default",
                    "--tokenizer", "http://tokenizer-service.default:8080", "--backup-dir", dir.resolve("backup").toString());
            assertEquals(0, enabled.exitCode(), enabled.err());
            assertEquals(List.of("deployment.apps/llama-3-8b patched", "service/llama-3-8b patched",
                    "deployment.apps/aibrix-gateway-plugins patched"), enabled.outLines());
            Result on = CliHarness.run("status", "--kubeconfig", kubeconfig, "-n", "default");
            assertTrue(on.outLines().get(1).matches("llama-3-8b +default +enabled +- +- +-"), on.out());
            // -o wide: one more column, the gateway's KV-event settings as it carries them
            Result wide = CliHarness.run("status", "--kubeconfig", kubeconfig, "-n", "default", "-o", "wide");
            assertTrue(wide.outLines().get(0).matches("MODEL +NAMESPACE +STATE +PODS +MISSING +PROBLEMS +GATEWAY-SETTINGS"),
                    wide.out());
            assertTrue(wide.outLines().get(1).matches("llama-3-8b +default +enabled +- +- +- +\\S*"
                    + "AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED=true\\S*"), wide.out());
            Result disabled = CliHarness.run("disable", "llama-3-8b", "--kubeconfig", kubeconfig, "-n", "default",
                    "--backup-dir", dir.resolve("backup2").toString());
            assertEquals(0, disabled.exitCode(), disabled.err());
            Result off = CliHarness.run("status", "--kubeconfig", kubeconfig, "-n", "default");
            assertTrue(off.outLines().get(1).contains(" off "), off.out());
            // -l with -A: the selector is matched on each Deployment of every namespace, by namespace and name (a
            // namespace-scoped listing matched by bare name dropped the model of another namespace)
            cluster.fabric8.apps().deployments().inNamespace("ml").resource(new io.fabric8.kubernetes.api.model.apps
                    .DeploymentBuilder(cluster.fabric8.apps().deployments().inNamespace("default").withName("llama-3-8b")
                    .get()).editMetadata().withNamespace("ml").withResourceVersion(null).withUid(null).endMetadata()
                    .build()).create();
            Result selected = CliHarness.run("status", "--kubeconfig", kubeconfig, "-A", "-l", "app in (llama-3-8b)",
                    "-o", "name");
            assertEquals(List.of("deployment.apps/llama-3-8b", "deployment.apps/llama-3-8b"), selected.outLines(),
                    selected.err());
            assertEquals(2, CliHarness.run("status", "--kubeconfig", kubeconfig, "-l", "app in ()").exitCode());
            Result unselected = CliHarness.run("status", "--kubeconfig", kubeconfig, "-A", "-l", "app notin (llama-3-8b)",
                    "-o", "name");
            assertEquals(List.of(), unselected.outLines(), unselected.err());
            cluster.fabric8.apps().deployments().inNamespace("ml").withName("llama-3-8b").delete();
            // as kubectl get (pkg/cmd/get/get.go at dee3483a3): nothing found is a line on stderr, exit 0
            Result none = CliHarness.run("status", "--kubeconfig", kubeconfig, "-n", "elsewhere");
            assertEquals(List.of("No resources found in elsewhere namespace."), none.errLines());
            assertEquals(List.of(), none.outLines());
            assertEquals(0, none.exitCode());
            Result noneJson = CliHarness.run("status", "--kubeconfig", kubeconfig, "-n", "elsewhere", "-o", "json");
            assertEquals(0, noneJson.exitCode(), noneJson.err());
            assertTrue(noneJson.out().contains("\"items\": []"), noneJson.out());
            assertEquals(List.of(), noneJson.errLines());
            // kubectl's name printer says nothing of an empty result (printGeneric, get.go at dee3483a3)
            Result noneNames = CliHarness.run("status", "--kubeconfig", kubeconfig, "-n", "elsewhere", "-o", "name");
            assertEquals(List.of(), noneNames.errLines());
            assertEquals(List.of(), noneNames.outLines());
            assertEquals(0, noneNames.exitCode());
            Result absent = CliHarness.run("status", "no-such-model", "--kubeconfig", kubeconfig, "-n", "elsewhere");
            assertEquals(1, absent.exitCode());
        }
        Result missing = CliHarness.run("status", "--kubeconfig", dir.resolve("nope").toString());
        assertEquals(List.of("error: no kubeconfig: tried [" + dir.resolve("nope") + "]; give --kubeconfig FILE (or set KUBECONFIG)"),
                missing.errLines());
        // --kubeconfig is one file, not a list as $KUBECONFIG is (client-go 32ce75a7d6bc tools/clientcmd/loader.go, ExplicitPath)
        String pair = dir.resolve("a") + java.io.File.pathSeparator + dir.resolve("b");
        Result notSplit = CliHarness.run("status", "--kubeconfig", pair);
        assertEquals(List.of("error: no kubeconfig: tried [" + pair + "]; give --kubeconfig FILE (or set KUBECONFIG)"),
                notSplit.errLines());
    }

    /** disable --restore BACKUP (SPEC §6): the objects enable saved are put back, a line each; misuse is exit 2. */
    @Test
    void disableRestorePutsBackWhatEnableSaved() throws Exception {
        try (ExampleCluster cluster = ExampleCluster.start(dir)) {
            String kubeconfig = cluster.kubeconfig.toString();
            String backup = dir.resolve("backup").toString();
            Result enabled = CliHarness.run("enable", "llama-3-8b", "--kubeconfig", kubeconfig, "-n", "default",
                    "--tokenizer", "http://tokenizer-service.default:8080", "--backup-dir", backup);
            assertEquals(0, enabled.exitCode(), enabled.err());
            Result dry = CliHarness.run("disable", "llama-3-8b", "--kubeconfig", kubeconfig, "-n", "default",
                    "--restore", backup, "--dry-run=client");
            assertEquals(0, dry.exitCode(), dry.err());
            assertEquals(List.of("deployment.apps/aibrix-gateway-plugins restored (client dry run)",
                    "deployment.apps/llama-3-8b restored (client dry run)", "service/llama-3-8b restored (client dry run)"),
                    dry.outLines());
            Result restored = CliHarness.run("disable", "llama-3-8b", "--kubeconfig", kubeconfig, "-n", "default",
                    "--restore", backup);
            assertEquals(0, restored.exitCode(), restored.err());
            assertEquals(List.of("deployment.apps/aibrix-gateway-plugins restored", "deployment.apps/llama-3-8b restored",
                    "service/llama-3-8b restored"), restored.outLines());
            Result off = CliHarness.run("status", "--kubeconfig", kubeconfig, "-n", "default");
            assertTrue(off.outLines().get(1).contains(" off "), off.out());

            Result both = CliHarness.run("disable", "llama-3-8b", "--kubeconfig", kubeconfig, "--restore", backup,
                    "--gateway-only");
            assertEquals(2, both.exitCode());
            assertEquals(List.of("error: --restore puts back objects in the cluster: it takes neither --gateway-only, nor"
                    + " --local, nor -o"), both.errLines());
            Result notABackup = CliHarness.run("disable", "llama-3-8b", "--kubeconfig", kubeconfig, "-n", "default",
                    "--restore", dir.resolve("nowhere").toString());
            assertEquals(1, notABackup.exitCode());
            assertEquals(List.of("error: " + dir.resolve("nowhere") + " is not a directory: give the --backup-dir enable"
                    + " wrote to (by default ~/.kvevents/backups/<time>)"), notABackup.errLines());
        }
    }

    /**
     * --dry-run as kubectl reads it (kubernetes/kubectl pkg/cmd/util/helpers.go GetDryRunStrategy at dee3483a3): alone
     * or as a boolean, the deprecated spellings, with kubectl's warning; anything else kubectl's error, exit 2.
     */
    @Test
    void dryRunIsReadAsKubectlReadsIt() throws Exception {
        try (ExampleCluster cluster = ExampleCluster.start(dir)) {
            String kubeconfig = cluster.kubeconfig.toString();
            // bare, and before the model: the flag alone, then the model (pflag takes only an attached value)
            Result bare = CliHarness.run("enable", "--dry-run", "llama-3-8b", "--kubeconfig", kubeconfig, "-n", "default",
                    "--tokenizer", "http://tokenizer-service.default:8080");
            assertEquals(0, bare.exitCode(), bare.err());
            assertEquals("warning: --dry-run is deprecated and can be replaced with --dry-run=client.",
                    bare.errLines().get(0), bare.err());
            assertTrue(bare.outLines().stream().allMatch(l -> l.endsWith(" (client dry run)")), bare.out());
            Result bool = CliHarness.run("disable", "llama-3-8b", "--kubeconfig", kubeconfig, "-n", "default",
                    "--dry-run=true");
            assertEquals(0, bool.exitCode(), bool.err());
            assertEquals("warning: --dry-run=true is deprecated (boolean value) and can be replaced with --dry-run=client.",
                    bool.errLines().get(0));
            Result bad = CliHarness.run("enable", "llama-3-8b", "--kubeconfig", kubeconfig, "--dry-run=maybe");
            assertEquals(2, bad.exitCode());
            assertEquals(List.of("error: Invalid dry-run value (maybe). Must be \"none\", \"server\", or \"client\". (see"
                    + " 'kubectl kvevents enable --help')"), bad.errLines());
            assertEquals(0, cluster.fabric8.apps().deployments().inNamespace("default").withName("llama-3-8b").get()
                    .getSpec().getTemplate().getSpec().getContainers().get(0).getArgs().stream()
                    .filter(a -> a.contains("kv-events")).count(), "no dry run wrote anything");
        }
    }

    /**
     * -o against a cluster prints the objects the change leaves, as kubectl patch -o does (a List for several), with
     * the "patched" lines on stderr; before, -o was taken only with --local and silently ignored here (found in review).
     */
    @Test
    void outputAgainstAClusterPrintsTheObjectsAsKubectlPatchDoes() throws Exception {
        try (ExampleCluster cluster = ExampleCluster.start(dir)) {
            String kubeconfig = cluster.kubeconfig.toString();
            Result yaml = CliHarness.run("enable", "llama-3-8b", "--kubeconfig", kubeconfig, "-n", "default",
                    "--tokenizer", "http://tokenizer-service.default:8080", "--dry-run=client", "-o", "yaml");
            assertEquals(0, yaml.exitCode(), yaml.err());
            assertTrue(yaml.errLines().contains("deployment.apps/llama-3-8b patched (client dry run)"), yaml.err());
            List<java.util.Map<String, Object>> docs = io.kvevents.sdk.Manifests.read(List.of(write("enable.yaml", yaml.out())));
            assertEquals(3, docs.size(), "the List's items: " + yaml.out());
            assertTrue(yaml.out().startsWith("apiVersion: v1\nitems:"), yaml.out());
            assertTrue(yaml.out().contains("--kv-events-config"), "the Deployment as the enable leaves it: " + yaml.out());

            Result json = CliHarness.run("disable", "llama-3-8b", "--kubeconfig", kubeconfig, "-n", "default",
                    "--dry-run=client", "-o", "json");
            assertEquals(0, json.exitCode(), json.err());
            com.google.gson.JsonObject list = com.google.gson.JsonParser.parseString(json.out()).getAsJsonObject();
            assertEquals("List", list.get("kind").getAsString(), json.out());

            Result refused = CliHarness.run("enable", "llama-3-8b", "--kubeconfig", kubeconfig, "--canary", "1", "-o",
                    "yaml");
            assertEquals(2, refused.exitCode());
        }
    }

    private Path write(String name, String text) throws java.io.IOException {
        return java.nio.file.Files.writeString(dir.resolve(name), text);
    }
}
