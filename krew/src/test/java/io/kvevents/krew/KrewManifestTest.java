package io.kvevents.krew;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** krew's validate-krew-manifest rules, and the sha256 of every archive the manifest names. */
class KrewManifestTest {
    static final Path TEMPLATE = Path.of("src/main/krew/kvevents.yaml.tmpl");

    @TempDir
    Path archives;

    @BeforeEach
    void packArchives() throws Exception {
        Path content = Files.createDirectories(archives.resolve("content"));
        Files.writeString(content.resolve("LICENSE"), "Apache License 2.0");
        Files.writeString(content.resolve("kubectl-kvevents"), "#!/bin/sh\n");
        tar(archives.resolve("kubectl-kvevents_v1.2.3-jvm.tar.gz"), content, "LICENSE", "kubectl-kvevents");
        tar(archives.resolve("kubectl-kvevents_v1.2.3_linux_amd64.tar.gz"), content, "LICENSE", "kubectl-kvevents");
        tar(archives.resolve("no-license.tar.gz"), content, "kubectl-kvevents");
    }

    private static void tar(Path archive, Path dir, String... files) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("tar", "-czf", archive.toString(), "-C", dir.toString()));
        command.addAll(List.of(files));
        Process p = new ProcessBuilder(command).inheritIO().start();
        assertTrue(p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0);
    }

    private String manifest() throws Exception {
        return KrewManifest.generate("v1.2.3", archives, Files.readString(TEMPLATE));
    }

    @Test
    void theGeneratedManifestPassesEveryRule() throws Exception {
        String yaml = manifest();
        assertEquals(List.of(), KrewManifest.validate(yaml, archives, "kvevents"));
        assertTrue(yaml.contains("kubectl-kvevents_v1.2.3_linux_amd64.tar.gz"), "a native archive wins for its platform");
        assertEquals(3, yaml.split("kubectl-kvevents_v1.2.3-jvm.tar.gz", -1).length - 1, "the JVM build serves the other three");
        assertTrue(yaml.contains("sha256: " + KrewManifest.sha256(archives.resolve("kubectl-kvevents_v1.2.3_linux_amd64.tar.gz"))));
        // Issue 14: the Java caveat names the platforms the JVM build serves, never a native one; the completion
        // shim, which krew does not link, gets its own step
        assertTrue(yaml.contains("On linux/arm64, darwin/amd64, darwin/arm64 this is the JVM build"), yaml);
        assertTrue(yaml.contains("/store/kvevents/v1.2.3/kubectl_complete-kvevents"), yaml);
    }

    @Test
    void withANativeArchiveForEveryPlatformNoJavaCaveatIsLeft() throws Exception {
        Path content = archives.resolve("content");
        for (String platform : List.of("linux_arm64", "darwin_amd64", "darwin_arm64")) {
            tar(archives.resolve("kubectl-kvevents_v1.2.3_" + platform + ".tar.gz"), content, "LICENSE", "kubectl-kvevents");
        }
        String yaml = manifest();
        assertEquals(List.of(), KrewManifest.validate(yaml, archives, "kvevents"));
        assertTrue(!yaml.contains("Java") && !yaml.contains("-jvm.tar.gz"), yaml);
    }

    @Test
    void eachBrokenRuleIsReported() throws Exception {
        String good = manifest();
        assertTrue(KrewManifest.validate(good, archives, "other").get(0).startsWith("metadata.name must be the file name"));
        assertEquals(List.of("spec.version must be v-prefixed semver, is 1.2.3"),
                KrewManifest.validate(good.replace("version: v1.2.3", "version: 1.2.3"), archives, "kvevents"));
        assertEquals(List.of("spec.shortDescription must be one non-empty line"), KrewManifest.validate(
                good.replace("shortDescription: See, probe", "shortDescription: |\n    See,\n    probe"), archives, "kvevents"));
        String tampered = good.replaceFirst("sha256: [0-9a-f]{64}", "sha256: " + "0".repeat(64));
        assertTrue(KrewManifest.validate(tampered, archives, "kvevents").get(0).contains("sha256 does not match"));
        String upper = good.replaceFirst("sha256: ([0-9a-f]{64})", "sha256: " + "A".repeat(64));
        assertTrue(KrewManifest.validate(upper, archives, "kvevents").get(0).contains("64 lowercase hex"));
        String noLicense = good.replaceFirst("kubectl-kvevents_v1.2.3_linux_amd64.tar.gz", "no-license.tar.gz")
                .replaceFirst("sha256: [0-9a-f]{64}", "sha256: " + KrewManifest.sha256(archives.resolve("no-license.tar.gz")));
        assertEquals(List.of("spec.platforms[0]: no-license.tar.gz has no LICENSE"),
                KrewManifest.validate(noLicense, archives, "kvevents"));
        String doubled = good.replaceFirst("arch: arm64", "arch: amd64");
        assertTrue(KrewManifest.validate(doubled, archives, "kvevents").contains(
                "linux/amd64 is matched by 2 platforms, must be exactly 1"));
        String otherLabel = good.replaceFirst("os: linux", "distro: linux");
        assertTrue(KrewManifest.validate(otherLabel, archives, "kvevents").get(0).contains("may only match os and arch"));
    }
}
