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

    /** The status of the model Deployments of a cluster's namespace (or of every namespace), read from its API server. */
    public static List<ModelStatus> of(KubeContext context, String model, EnableOptions options) {
        KubeApi kube = KubeApi.connect(context);
        List<Map<String, Object>> objects = kube.modelObjects(options.gatewayNamespace(), options.gatewayDeployment());
        return StatusCheck.check(objects, model, options,
                kube.namespace() == null ? "any namespace" : "namespace " + kube.namespace(), true);
    }

    @Override
    public String toString() {
        return "ModelStatus[" + model + " " + state + (missing.isEmpty() ? "" : " missing=" + missing)
                + (problems.isEmpty() ? "" : " problems=" + problems) + "]";
    }
}
