package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Every JSON patch of a plan, applied by the real {@code kubectl patch --local}, gives the objects the plan predicts. */
final class KubectlPatchCheck {
    private KubectlPatchCheck() {
    }

    static boolean available() {
        for (String d : System.getenv("PATH").split(":")) {
            if (Files.isExecutable(Path.of(d, "kubectl"))) {
                return true;
            }
        }
        return false;
    }

    /** @return how many patches were checked */
    static int check(Path dir, List<Map<String, Object>> before, MigrationPlan plan) throws Exception {
        int checked = 0;
        for (int i = 0; i < before.size(); i++) {
            Map<String, Object> object = before.get(i);
            PlanStep step = plan.steps().stream().filter(s -> s.object().matches(object)).findFirst().orElse(null);
            if (step == null || step.inPlace()) {
                continue;
            }
            String patched = kubectl(dir, object, PatchOp.toJson(step.patch()));
            String predicted = kubectl(dir, plan.result().get(i), "[]");
            assertEquals(Manifests.read(List.of(write(dir, predicted))), Manifests.read(List.of(write(dir, patched))), step.target());
            checked++;
        }
        return checked;
    }

    /** {@code kubectl patch --local -f OBJECT --type=json -p PATCH -o yaml}. */
    private static String kubectl(Path dir, Map<String, Object> object, String patch) throws IOException, InterruptedException {
        Path file = write(dir, Manifests.write(List.of(object)));
        List<String> command = new ArrayList<>(List.of("kubectl", "patch", "--local", "-f", file.toString(), "--type=json",
                "-p", patch, "-o", "yaml"));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "kubectl patch failed: " + out + "\npatch: " + patch);
        return out;
    }

    private static Path write(Path dir, String text) throws IOException {
        Path f = Files.createTempFile(dir, "obj", ".yaml");
        Files.writeString(f, text);
        return f;
    }
}
