package io.kvevents.sdk;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.representer.Representer;

/**
 * Kubernetes manifests as plain maps (YAML or JSON in, YAML out), for offline plans ({@code --local -f}).
 * Plain maps keep every field of every object, known to this tool or not.
 */
public final class Manifests {
    private Manifests() {
    }

    /** Every object of the files, in order ({@code ---}-separated documents and {@code kind: List} items). */
    @SuppressWarnings("unchecked")
    public static List<Map<String, Object>> read(List<Path> files) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Path file : files) {
            String text;
            try {
                text = Files.readString(file, StandardCharsets.UTF_8);
            } catch (NoSuchFileException e) {
                throw new IllegalArgumentException(file + " does not exist");
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
            }
            try {
                for (Object doc : yaml().loadAll(text)) {
                    if (doc == null) {
                        continue;
                    }
                    if (!(doc instanceof Map<?, ?> map) || !map.containsKey("kind")) {
                        throw new IllegalArgumentException(file + " holds a document that is not a Kubernetes object");
                    }
                    if ("List".equals(map.get("kind")) && map.get("items") instanceof List<?> items) {
                        items.forEach(i -> out.add((Map<String, Object>) i));
                    } else {
                        out.add((Map<String, Object>) map);
                    }
                }
            } catch (YAMLException e) {
                throw new IllegalArgumentException(file + " is not valid YAML: " + e.getMessage().lines().findFirst().orElse(""), e);
            }
        }
        return out;
    }

    /** The objects as YAML documents separated by {@code ---}. */
    public static String write(List<Map<String, Object>> objects) {
        StringBuilder s = new StringBuilder();
        for (Map<String, Object> o : objects) {
            if (s.length() > 0) {
                s.append("---\n");
            }
            s.append(yaml().dump(o));
        }
        return s.toString();
    }

    private static Yaml yaml() {
        DumperOptions dump = new DumperOptions();
        dump.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        dump.setIndicatorIndent(2);
        dump.setIndentWithIndicator(true);
        LoaderOptions load = new LoaderOptions();
        return new Yaml(new SafeConstructor(load), new Representer(dump), dump, load);
    }

    /**
     * The names of the vLLM and SGLang Deployments among {@code manifests} whose labels match a kubectl label selector
     * ({@code k=v}, {@code k!=v}, {@code k}, {@code !k}, comma-separated); others (the gateway) are no models.
     */
    public static List<String> deploymentsMatching(List<Map<String, Object>> manifests, String selector) {
        io.kvevents.internal.kube.LabelSelector s = io.kvevents.internal.kube.LabelSelector.parse(selector);
        List<String> names = new java.util.ArrayList<>();
        for (Map<String, Object> o : manifests) {
            if ("Deployment".equals(o.get("kind")) && io.kvevents.internal.kube.Workloads.runsEngine(o)
                    && s.matches((Map<?, ?>) io.kvevents.internal.kube.JsonTree.at(o, "metadata", "labels"))) {
                names.add(String.valueOf(io.kvevents.internal.kube.JsonTree.at(o, "metadata", "name")));
            }
        }
        return names;
    }
}
