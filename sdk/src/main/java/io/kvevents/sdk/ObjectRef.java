package io.kvevents.sdk;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * One Kubernetes object by kind and name: what a plan step changes.
 *
 * @param namespace null for an object without one (a manifest that leaves it to {@code kubectl apply -n})
 */
public record ObjectRef(String apiVersion, String kind, String namespace, String name) {

    public ObjectRef {
        Objects.requireNonNull(apiVersion, "apiVersion");
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(name, "name");
    }

    /** The reference of an object tree (a manifest, or an object read from the API server). */
    public static ObjectRef of(Map<String, Object> object) {
        Object meta = object.get("metadata");
        Map<?, ?> m = meta instanceof Map<?, ?> mm ? mm : Map.of();
        return new ObjectRef(String.valueOf(object.get("apiVersion")), String.valueOf(object.get("kind")),
                m.get("namespace") == null ? null : String.valueOf(m.get("namespace")), String.valueOf(m.get("name")));
    }

    /** {@code deployment.apps/name}, as kubectl names objects. */
    public String target() {
        String group = apiVersion.contains("/") ? "." + apiVersion.substring(0, apiVersion.indexOf('/')) : "";
        return kind.toLowerCase(Locale.ROOT) + group + "/" + name;
    }

    /** True when {@code object} is this one. */
    public boolean matches(Map<String, Object> object) {
        return equals(of(object));
    }

    @Override
    public String toString() {
        return target() + (namespace == null ? "" : " -n " + namespace);
    }
}
