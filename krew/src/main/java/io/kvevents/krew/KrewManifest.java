package io.kvevents.krew;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.representer.Representer;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Writes {@code kvevents.yaml} for the release archives that exist, and checks a manifest against
 * krew's validate-krew-manifest rules (and the archives it names against their sha256).
 *
 * <p>Archives are named {@code kubectl-kvevents_<version>_<os>_<arch>.tar.gz} (native builds) or
 * {@code kubectl-kvevents_<version>-jvm.tar.gz} (the JVM build, which serves every os/arch a native
 * archive does not).
 */
public final class KrewManifest {
    static final List<String> PLATFORMS = List.of("linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64");
    static final String RELEASES = "https://github.com/kvevents/kvevents/releases/download/";
    private static final Pattern SEMVER = Pattern.compile("v\\d+\\.\\d+\\.\\d+(-[0-9A-Za-z.-]+)?");
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    private KrewManifest() {
    }

    /** {@code KrewManifest VERSION ARCHIVE_DIR TEMPLATE OUTPUT}. */
    public static void main(String[] args) throws IOException {
        if (args.length != 4) {
            throw new IllegalArgumentException("usage: KrewManifest VERSION ARCHIVE_DIR TEMPLATE OUTPUT");
        }
        String yaml = generate(args[0], Path.of(args[1]), Files.readString(Path.of(args[2])));
        List<String> problems = validate(yaml, Path.of(args[1]), "kvevents");
        if (!problems.isEmpty()) {
            throw new IllegalStateException("the generated manifest is invalid: " + problems);
        }
        Files.writeString(Path.of(args[3]), yaml);
        System.out.println("wrote " + args[3]);
    }

    /** The manifest for the archives in {@code archives}, one platform per supported os/arch. */
    public static String generate(String version, Path archives, String template) {
        if (!SEMVER.matcher(version).matches()) {
            throw new IllegalArgumentException("version must be v-prefixed semver, e.g. v0.1.0: " + version);
        }
        Map<String, Path> byPlatform = new LinkedHashMap<>();
        Path jvm = archives.resolve("kubectl-kvevents_" + version + "-jvm.tar.gz");
        for (String platform : PLATFORMS) {
            Path nativeArchive = archives.resolve("kubectl-kvevents_" + version + "_" + platform.replace('/', '_') + ".tar.gz");
            if (Files.exists(nativeArchive)) {
                byPlatform.put(platform, nativeArchive);
            } else if (Files.exists(jvm)) {
                byPlatform.put(platform, jvm);
            }
        }
        if (byPlatform.isEmpty()) {
            throw new IllegalArgumentException("no release archives in " + archives + " for " + version);
        }
        StringBuilder platforms = new StringBuilder();
        byPlatform.forEach((platform, archive) -> {
            String[] p = platform.split("/");
            platforms.append("    - selector:\n")
                    .append("        matchLabels:\n")
                    .append("          os: ").append(p[0]).append('\n')
                    .append("          arch: ").append(p[1]).append('\n')
                    .append("      uri: ").append(RELEASES).append(version).append('/').append(archive.getFileName()).append('\n')
                    .append("      sha256: ").append(sha256(archive)).append('\n')
                    .append("      bin: kubectl-kvevents\n");
        });
        return template.replace("${VERSION}", version).replace("${CAVEATS}\n", caveats(version, byPlatform, jvm))
                .replace("${PLATFORMS}\n", platforms.toString()).replace("${PLATFORMS}", platforms.toString());
    }

    /**
     * What to do after {@code kubectl krew install kvevents}, for the platforms that need it: krew links only the
     * {@code bin} into its PATH, so kubectl's completion shim needs a link of its own; the JVM build needs a Java
     * runtime, the native builds nothing.
     */
    static String caveats(String version, Map<String, Path> byPlatform, Path jvm) {
        StringBuilder c = new StringBuilder();
        c.append("    Shell completion of `kubectl kvevents …` (kubectl 1.26+ asks a kubectl_complete-kvevents\n")
                .append("    on PATH; krew links only kubectl-kvevents), once after each install or upgrade:\n")
                .append("      ln -sf \"${KREW_ROOT:-$HOME/.krew}/store/kvevents/").append(version)
                .append("/kubectl_complete-kvevents\" \"${KREW_ROOT:-$HOME/.krew}/bin/\"\n");
        List<String> jvmPlatforms = byPlatform.entrySet().stream().filter(e -> e.getValue().equals(jvm))
                .map(Map.Entry::getKey).toList();
        if (!jvmPlatforms.isEmpty()) {
            c.append("    On ").append(String.join(", ", jvmPlatforms))
                    .append(" this is the JVM build: it needs Java 17 or newer\n")
                    .append("    (JAVA_HOME, or java on PATH).\n");
        }
        return c.toString();
    }

    /** krew's manifest rules; archives named by the manifest that exist in {@code archives} are checked too. */
    @SuppressWarnings("unchecked")
    public static List<String> validate(String yaml, Path archives, String fileName) {
        List<String> problems = new ArrayList<>();
        Map<String, Object> m;
        try {
            // Every plain scalar as a string, as krew's Go structs read them: a sha256 of digits stays text.
            Resolver stringsOnly = new Resolver() {
                @Override
                protected void addImplicitResolvers() {
                }
            };
            LoaderOptions options = new LoaderOptions();
            m = (Map<String, Object>) new Yaml(new SafeConstructor(options), new Representer(new DumperOptions()),
                    new DumperOptions(), options, stringsOnly).load(yaml);
        } catch (RuntimeException e) {
            return List.of("not YAML: " + e.getMessage());
        }
        if (!"krew.googlecontainertools.github.com/v1alpha2".equals(m.get("apiVersion"))) {
            problems.add("apiVersion must be krew.googlecontainertools.github.com/v1alpha2");
        }
        if (!"Plugin".equals(m.get("kind"))) {
            problems.add("kind must be Plugin");
        }
        Map<String, Object> metadata = (Map<String, Object>) m.getOrDefault("metadata", Map.of());
        if (!fileName.equals(metadata.get("name"))) {
            problems.add("metadata.name must be the file name (" + fileName + "), is " + metadata.get("name"));
        }
        Map<String, Object> spec = (Map<String, Object>) m.getOrDefault("spec", Map.of());
        if (!(spec.get("version") instanceof String v) || !SEMVER.matcher(v).matches()) {
            problems.add("spec.version must be v-prefixed semver, is " + spec.get("version"));
        }
        if (!(spec.get("shortDescription") instanceof String sd) || sd.isBlank() || sd.contains("\n")) {
            problems.add("spec.shortDescription must be one non-empty line");
        }
        List<Map<String, Object>> platforms = (List<Map<String, Object>>) spec.getOrDefault("platforms", List.of());
        if (platforms.isEmpty()) {
            problems.add("spec.platforms is empty");
        }
        Map<String, Integer> matches = new LinkedHashMap<>();
        PLATFORMS.forEach(p -> matches.put(p, 0));
        for (int i = 0; i < platforms.size(); i++) {
            Map<String, Object> p = platforms.get(i);
            String where = "spec.platforms[" + i + "]";
            Map<String, Object> selector = (Map<String, Object>) p.getOrDefault("selector", Map.of());
            Map<String, Object> labels = (Map<String, Object>) selector.getOrDefault("matchLabels", Map.of());
            if (selector.containsKey("matchExpressions") || !Set.of("os", "arch").containsAll(labels.keySet())
                    || labels.isEmpty()) {
                problems.add(where + ": the selector may only match os and arch labels");
            }
            for (String platform : PLATFORMS) {
                String[] oa = platform.split("/");
                if ((!labels.containsKey("os") || oa[0].equals(labels.get("os")))
                        && (!labels.containsKey("arch") || oa[1].equals(labels.get("arch")))) {
                    matches.merge(platform, 1, Integer::sum);
                }
            }
            if (!(p.get("bin") instanceof String bin) || bin.isBlank()) {
                problems.add(where + ": bin is missing");
            }
            if (!(p.get("sha256") instanceof String sha) || !SHA256.matcher(sha).matches()) {
                problems.add(where + ": sha256 must be 64 lowercase hex digits");
            }
            if (!(p.get("uri") instanceof String uri) || !uri.startsWith("https://")) {
                problems.add(where + ": uri must be an https URL");
                continue;
            }
            Path archive = archives.resolve(uri.substring(uri.lastIndexOf('/') + 1));
            if (Files.exists(archive)) {
                if (!sha256(archive).equals(p.get("sha256"))) {
                    problems.add(where + ": sha256 does not match " + archive.getFileName());
                }
                List<String> entries = entries(archive);
                if (!entries.contains("LICENSE")) {
                    problems.add(where + ": " + archive.getFileName() + " has no LICENSE");
                }
                if (!entries.contains(String.valueOf(p.get("bin")))) {
                    problems.add(where + ": " + archive.getFileName() + " has no " + p.get("bin"));
                }
            }
        }
        matches.forEach((platform, n) -> {
            if (n != 1) {
                problems.add(platform + " is matched by " + n + " platforms, must be exactly 1");
            }
        });
        return problems;
    }

    static String sha256(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            byte[] buffer = new byte[1 << 16];
            for (int n; (n = in.read(buffer)) > 0; ) {
                digest.update(buffer, 0, n);
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The archive's entries, as {@code tar -tzf} lists them (without a leading ./). */
    static List<String> entries(Path archive) {
        try {
            Process p = new ProcessBuilder("tar", "-tzf", archive.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("tar -tzf " + archive + " failed: " + out);
            }
            try (Stream<String> lines = out.lines()) {
                return lines.map(l -> l.startsWith("./") ? l.substring(2) : l).toList();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
