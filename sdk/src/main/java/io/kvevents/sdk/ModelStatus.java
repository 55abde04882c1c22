package io.kvevents.sdk;

import io.kvevents.internal.kube.KubeApi;
import io.kvevents.internal.kube.StatusCheck;
import java.util.List;
import java.util.Map;

/**
 * Where a model stands with KV event sync: {@link State#ENABLED} when its engines publish and the
 * gateway's pods are labelled, {@link State#PARTIAL} with what is missing, {@link State#OFF}; plus
 * problems such as seed-style flags (vLLM exits on them) or gateway settings that disagree.
 *
 * @param pods ready pods of the Deployment over its replicas ({@code 2/3}), or {@code -} for manifests
 * @param gateway the gateway's KV-event settings as it carries them (both spellings), empty when unknown
 */
public record ModelStatus(String model, String namespace, State state, String pods, List<String> missing,
        List<String> problems, Map<String, String> gateway) {

    /** The model's state. */
    public enum State { ENABLED, PARTIAL, OFF }

    public ModelStatus {
        missing = List.copyOf(missing);
        problems = List.copyOf(problems);
        gateway = Map.copyOf(gateway);
    }

    /** The status of every vLLM or SGLang Deployment among the manifests (or only {@code model}, when not null). */
    public static List<ModelStatus> of(List<Map<String, Object>> manifests, String model, EnableOptions options) {
        return StatusCheck.check(manifests, model, options);
    }

    /** The status of the Deployments among the manifests whose labels match a kubectl label selector. */
    public static List<ModelStatus> matching(List<Map<String, Object>> manifests, String selector, EnableOptions options) {
        return filter(StatusCheck.check(manifests, null, options), manifests, selector);
    }

    /** The status of the model Deployments of a cluster's namespace (or of every namespace), read from its API server. */
    public static List<ModelStatus> of(KubeContext context, String model, EnableOptions options) {
        return reader(context, model, null, options).get();
    }

    /**
     * Reads the statuses again at each {@code get()} over one connection to the API server (one client, one set of
     * credentials: {@code status -w} does not start an exec plugin at every look).
     *
     * @param selector a kubectl label selector the Deployments must match, or null
     */
    public static java.util.function.Supplier<List<ModelStatus>> reader(KubeContext context, String model, String selector,
            EnableOptions options) {
        if (selector != null) {
            io.kvevents.internal.kube.LabelSelector.parse(selector); // a clear error before any request
        }
        KubeApi kube = KubeApi.connect(context);
        return () -> {
            List<Map<String, Object>> objects = kube.modelObjects(options.gatewayNamespace(), options.gatewayDeployment());
            if (model == null && objects.stream().noneMatch(o -> "Deployment".equals(o.get("kind"))
                    && io.kvevents.internal.kube.Workloads.findEngineContainer(o) != null)) {
                return List.of(); // as kubectl get: a namespace without models is not an error (see noneFound)
            }
            List<ModelStatus> all = StatusCheck.check(objects, model, options,
                    kube.namespace() == null ? "any namespace" : "namespace " + kube.namespace(), true);
            return selector == null ? all : filter(all, objects, selector);
        };
    }

    /**
     * What kubectl says on stderr when a listing finds nothing (kubernetes/kubectl pkg/cmd/get/get.go at dee3483a3):
     * {@code No resources found in ml namespace.}, or {@code No resources found} for every namespace.
     */
    public static String noneFound(KubeContext context) {
        String ns = context.allNamespaces() ? null : KubeApi.connect(context).namespace();
        return ns == null ? "No resources found" : "No resources found in " + ns + " namespace.";
    }

    /** The statuses of the Deployments (by namespace and name) whose labels match the selector. */
    private static List<ModelStatus> filter(List<ModelStatus> statuses, List<Map<String, Object>> objects, String selector) {
        io.kvevents.internal.kube.LabelSelector s = io.kvevents.internal.kube.LabelSelector.parse(selector);
        java.util.Set<String> keep = new java.util.HashSet<>();
        for (Map<String, Object> o : objects) {
            if ("Deployment".equals(o.get("kind"))
                    && s.matches((Map<?, ?>) io.kvevents.internal.kube.JsonTree.at(o, "metadata", "labels"))) {
                keep.add(io.kvevents.internal.kube.JsonTree.at(o, "metadata", "namespace") + "/"
                        + io.kvevents.internal.kube.JsonTree.at(o, "metadata", "name"));
            }
        }
        return statuses.stream().filter(st -> keep.contains(st.namespace() + "/" + st.model())).toList();
    }

    @Override
    public String toString() {
        return "ModelStatus[" + model + " " + state + (missing.isEmpty() ? "" : " missing=" + missing)
                + (problems.isEmpty() ? "" : " problems=" + problems) + "]";
    }
}
