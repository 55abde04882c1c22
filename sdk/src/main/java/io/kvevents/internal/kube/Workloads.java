package io.kvevents.internal.kube;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/** Finding the objects and containers a migration works on among manifests or objects read from a cluster. */
public final class Workloads {
    public static final String ENABLED = "model.aibrix.ai/kv-events-enabled";
    public static final String MODEL = "model.aibrix.ai/name";
    /**
     * The label a rollout's second Deployment (canary, green) adds to its selector and pods: the model's own Deployment
     * selects its pods too by its other labels, and must leave them out.
     */
    public static final String TRACK = "kvevents.io/track";

    /** True for a rollout's second Deployment. */
    public static boolean isTrack(Map<String, Object> deployment) {
        return JsonTree.at(deployment, "metadata", "labels", TRACK) != null;
    }

    /** True for a pod of a rollout's second Deployment. */
    public static boolean isTrackPod(Map<String, Object> pod) {
        return JsonTree.at(pod, "metadata", "labels", TRACK) != null;
    }

    private Workloads() {
    }

    /**
     * The Deployment named {@code model}, or labelled (or annotated) with it ({@value #MODEL}).
     *
     * @throws IllegalArgumentException when none is, or when the name matches in several namespaces
     */
    public static Map<String, Object> modelDeployment(List<Map<String, Object>> objects, String model) {
        List<Map<String, Object>> byName = deployments(objects).stream().filter(o -> model.equals(JsonTree.name(o))).toList();
        // by label, a rollout's second Deployment (which carries the model's labels) is not the model's own
        List<Map<String, Object>> matches = !byName.isEmpty() ? byName : deployments(objects).stream()
                .filter(o -> aibrixModelName(o).filter(model::equals).isPresent() && !isTrack(o)).toList();
        if (matches.isEmpty()) {
            List<String> names = deployments(objects).stream().map(JsonTree::name).toList();
            throw new IllegalArgumentException("no Deployment named " + model + " (Deployments: " + names + ")");
        }
        if (matches.size() > 1) {
            throw new IllegalArgumentException(model + " matches " + matches.size() + " Deployments: "
                    + matches.stream().map(Workloads::qualified).toList() + "; name one with -n NAMESPACE");
        }
        return matches.get(0);
    }

    /** {@code namespace/name}. */
    public static String qualified(Map<String, Object> o) {
        return JsonTree.namespace(o) + "/" + JsonTree.name(o);
    }

    public static List<Map<String, Object>> deployments(List<Map<String, Object>> objects) {
        return objects.stream().filter(o -> "Deployment".equals(o.get("kind"))).toList();
    }

    /** The first object of a kind, name and namespace (a manifest without a namespace matches any). */
    public static Map<String, Object> find(List<Map<String, Object>> objects, String kind, String namespace, String name) {
        for (Map<String, Object> o : objects) {
            String ns = JsonTree.namespace(o);
            if (kind.equals(o.get("kind")) && name.equals(JsonTree.name(o)) && (ns == null || namespace.equals(ns))) {
                return o;
            }
        }
        return null;
    }

    /** The engine container: the one named, else the first that runs vLLM or SGLang. */
    public static Map<String, Object> engineContainer(Map<String, Object> deployment, String name) {
        List<Map<String, Object>> containers = JsonTree.containers(deployment);
        for (Map<String, Object> c : containers) {
            if (name != null ? name.equals(c.get("name")) : isEngine(c)) {
                return c;
            }
        }
        List<Object> names = containers.stream().map(c -> c.get("name")).toList();
        throw new IllegalArgumentException(name != null ? "no container " + name + " in " + JsonTree.target(deployment)
                + " (containers: " + names + ")"
                : "no vLLM or SGLang container in " + JsonTree.target(deployment) + " (containers: " + names
                        + "): name it with --container");
    }

    /** A Deployment's first container that runs vLLM or SGLang, or null. */
    public static Map<String, Object> findEngineContainer(Map<String, Object> deployment) {
        return JsonTree.containers(deployment).stream().filter(Workloads::isEngine).findFirst().orElse(null);
    }

    /** A Deployment with a container that runs vLLM or SGLang. */
    public static boolean runsEngine(Map<String, Object> deployment) {
        return findEngineContainer(deployment) != null;
    }

    /** A container that runs vLLM or SGLang ({@link Engine#of}). */
    public static boolean isEngine(Map<String, Object> c) {
        return Engine.of(c) != null;
    }

    /**
     * The AIBrix gateway plugin's container: named {@code gateway-plugin} or running a
     * {@code gateway-plugins} image (AIBrix e3e10f9 config/gateway/gateway-plugin/gateway-plugin.yaml),
     * else the only container. Never simply the first: sidecars (istio-proxy) often come first.
     */
    public static Map<String, Object> gatewayContainer(Map<String, Object> gateway) {
        List<Map<String, Object>> containers = JsonTree.containers(gateway);
        for (Map<String, Object> c : containers) {
            if ("gateway-plugin".equals(c.get("name"))) {
                return c;
            }
        }
        List<Map<String, Object>> byImage = containers.stream()
                .filter(c -> String.valueOf(c.get("image")).toLowerCase(Locale.ROOT).contains("gateway-plugins")).toList();
        if (byImage.size() == 1) {
            return byImage.get(0);
        }
        if (containers.size() == 1) {
            return containers.get(0);
        }
        throw new IllegalArgumentException("cannot tell which container of " + JsonTree.target(gateway) + " is the AIBrix"
                + " gateway plugin (containers: " + containers.stream().map(c -> c.get("name")).toList() + "): it is named"
                + " gateway-plugin or runs an aibrix/gateway-plugins image");
    }

    /** The Services of the Deployment's namespace whose selector picks its pods. */
    public static List<Map<String, Object>> selectingServices(List<Map<String, Object>> objects, Map<String, Object> deployment) {
        Object podLabels = JsonTree.at(deployment, "spec", "template", "metadata", "labels");
        Object ns = JsonTree.namespace(deployment);
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> o : objects) {
            if ("Service".equals(o.get("kind")) && Objects.equals(ns, JsonTree.namespace(o))
                    && JsonTree.at(o, "spec", "selector") instanceof Map<?, ?> selector && !selector.isEmpty()
                    && podLabels instanceof Map<?, ?> pl
                    && selector.entrySet().stream().allMatch(e -> Objects.equals(pl.get(e.getKey()), e.getValue()))) {
                out.add(o);
            }
        }
        return out;
    }

    /** True when the Deployment (or its pod template) carries the label that turns sync on for it. */
    public static boolean usesSync(Map<String, Object> deployment) {
        return "true".equals(JsonTree.at(deployment, "metadata", "labels", ENABLED))
                || "true".equals(JsonTree.at(deployment, "spec", "template", "metadata", "labels", ENABLED));
    }

    /**
     * The model name the AIBrix gateway reads off the pods: the {@value #MODEL} label, else the annotation of that
     * name, which holds the names a label value cannot (one with '/', such as {@code meta-llama/Llama-3-8B}):
     * AIBrix e3e10f9 pkg/constants/model.go, ModelNameFromMetadata. The pod template's first, then the Deployment's.
     */
    public static java.util.Optional<String> aibrixModelName(Map<String, Object> deployment) {
        for (List<String> at : List.of(List.of("spec", "template", "metadata"), List.of("metadata"))) {
            for (String kind : List.of("labels", "annotations")) {
                List<String> path = new ArrayList<>(at);
                path.add(kind);
                path.add(MODEL);
                if (JsonTree.at(deployment, path.toArray(String[]::new)) instanceof String name && !name.isEmpty()) {
                    return java.util.Optional.of(name);
                }
            }
        }
        return java.util.Optional.empty();
    }

    /** True when {@code value} can be a label value (Kubernetes: at most 63 of [A-Za-z0-9-_.], alphanumeric at both ends). */
    public static boolean labelValue(String value) {
        return value.length() <= 63 && value.matches("(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?");
    }

    /**
     * The model a Deployment's engine serves, as the gateway routes to it: the AIBrix model name ({@link
     * #aibrixModelName}), else what the engine serves ({@link Engine#served}: its first
     * {@code --served-model-name}, else its model argument), else the Deployment's name.
     */
    public static String servedModel(Map<String, Object> deployment) {
        java.util.Optional<String> aibrix = aibrixModelName(deployment);
        if (aibrix.isPresent()) {
            return aibrix.get();
        }
        for (Map<String, Object> c : JsonTree.containers(deployment)) {
            if (isEngine(c)) {
                try {
                    List<String> served = Engine.served(c).names();
                    if (!served.isEmpty()) {
                        return served.get(0);
                    }
                } catch (IllegalArgumentException notOneCommand) {
                    // a script that is not one engine command: its words are not read
                }
                break;
            }
        }
        return JsonTree.name(deployment);
    }
}
