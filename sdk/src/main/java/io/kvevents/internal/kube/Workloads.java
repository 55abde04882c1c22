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
     * The Deployment named {@code model}, or labelled with it ({@value #MODEL}).
     *
     * @throws IllegalArgumentException when none is, or when the name matches in several namespaces
     */
    public static Map<String, Object> modelDeployment(List<Map<String, Object>> objects, String model) {
        List<Map<String, Object>> byName = deployments(objects).stream().filter(o -> model.equals(JsonTree.name(o))).toList();
        // by label, a rollout's second Deployment (which carries the model's labels) is not the model's own
        List<Map<String, Object>> matches = !byName.isEmpty() ? byName : deployments(objects).stream()
                .filter(o -> model.equals(JsonTree.at(o, "metadata", "labels", MODEL)) && !isTrack(o)).toList();
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
     * The model a Deployment's engine serves, as the gateway routes to it: the AIBrix model label (pod
     * template, then Deployment), else the first {@code --served-model-name}, else the Deployment's name.
     */
    public static String servedModel(Map<String, Object> deployment) {
        Object label = JsonTree.at(deployment, "spec", "template", "metadata", "labels", MODEL);
        if (label == null) {
            label = JsonTree.at(deployment, "metadata", "labels", MODEL);
        }
        if (label != null) {
            return String.valueOf(label);
        }
        for (Map<String, Object> c : JsonTree.containers(deployment)) {
            if (isEngine(c)) {
                List<String> argv;
                try {
                    argv = EnablePlanner.engineArgv(c);
                } catch (IllegalArgumentException notOneCommand) {
                    break;
                }
                String served = Flags.value(argv, "--served-model-name");
                if (served != null) {
                    return served;
                }
                break;
            }
        }
        return JsonTree.name(deployment);
    }
}
