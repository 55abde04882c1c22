package io.kvevents.internal.kube;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A container's environment as its process sees it: {@code envFrom} sources in order (a later one wins),
 * then {@code env} entries over them, {@code valueFrom} resolved through the ConfigMaps and Secrets at
 * hand. A value that cannot be read (a Secret we may not read, a field reference) is known to be set, with
 * an unknown value.
 */
public final class ContainerEnv {
    /** Where a variable's value comes from. */
    public enum Source { VALUE, VALUE_FROM, ENV_FROM }

    /**
     * One variable.
     *
     * @param value null when it cannot be read here
     * @param from what holds it ({@code ConfigMap gateway-settings}), null for a plain value
     */
    public record Setting(String name, String value, Source source, String from) {
    }

    private ContainerEnv() {
    }

    /** @param objects where the ConfigMaps and Secrets it references may be (manifests, or read from the cluster) */
    public static Map<String, Setting> of(Map<String, Object> container, String namespace, List<Map<String, Object>> objects) {
        Map<String, Setting> out = new LinkedHashMap<>();
        for (Map<String, Object> source : JsonTree.maps(container.get("envFrom"))) {
            String prefix = source.get("prefix") == null ? "" : String.valueOf(source.get("prefix"));
            for (String kind : List.of("ConfigMap", "Secret")) {
                String key = kind.equals("ConfigMap") ? "configMapRef" : "secretRef";
                if (source.get(key) instanceof Map<?, ?> ref) {
                    String name = String.valueOf(ref.get("name"));
                    Map<String, String> data = data(objects, kind, namespace, name);
                    if (data != null) {
                        data.forEach((k, v) -> out.put(prefix + k, new Setting(prefix + k, v, Source.ENV_FROM, kind + " " + name)));
                    }
                }
            }
        }
        for (Map<String, Object> e : JsonTree.maps(container.get("env"))) {
            String name = String.valueOf(e.get("name"));
            if (e.get("valueFrom") instanceof Map<?, ?> vf) {
                String value = null;
                String from = "valueFrom";
                for (String kind : List.of("ConfigMap", "Secret")) {
                    String key = kind.equals("ConfigMap") ? "configMapKeyRef" : "secretKeyRef";
                    if (vf.get(key) instanceof Map<?, ?> ref) {
                        from = kind + " " + ref.get("name");
                        Map<String, String> data = data(objects, kind, namespace, String.valueOf(ref.get("name")));
                        value = data == null ? null : data.get(String.valueOf(ref.get("key")));
                    }
                }
                out.put(name, new Setting(name, value, Source.VALUE_FROM, from));
            } else {
                out.put(name, new Setting(name, e.get("value") == null ? "" : String.valueOf(e.get("value")), Source.VALUE, null));
            }
        }
        return out;
    }

    /** A ConfigMap's data, or a Secret's decoded; null when it is not at hand. */
    private static Map<String, String> data(List<Map<String, Object>> objects, String kind, String namespace, String name) {
        Map<String, Object> o = Workloads.find(objects, kind, namespace, name);
        if (o == null) {
            return null;
        }
        Map<String, String> out = new LinkedHashMap<>();
        if (o.get("data") instanceof Map<?, ?> data) {
            data.forEach((k, v) -> out.put(String.valueOf(k), kind.equals("Secret")
                    ? new String(Base64.getDecoder().decode(String.valueOf(v)), StandardCharsets.UTF_8) : String.valueOf(v)));
        }
        if (o.get("stringData") instanceof Map<?, ?> data) {
            data.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
        }
        return out;
    }
}
