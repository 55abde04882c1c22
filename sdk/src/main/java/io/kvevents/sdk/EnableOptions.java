package io.kvevents.sdk;

import java.util.Objects;

/**
 * What {@code enable} writes (docs/migration-guide.md).
 *
 * @param container the vLLM container's name, or null to find it by image or command
 * @param vllmArgs {@link VllmArgs#AUTO} and {@link VllmArgs#CONFIG} write {@code --kv-events-config};
 *     {@link VllmArgs#SEED} writes the migration guide's flags, which real vLLM rejects
 * @param tokenizer the gateway's remote tokenizer endpoint (AIBrix turns sync on only with one set; it tokenizes on the
 *     model's pods at AIBRIX_VLLM_TOKENIZER_ENDPOINT_TEMPLATE), or null to keep the gateway's own
 * @param force enable even when the image's vLLM version is older than 0.9.0 (no KV events); on disable, put
 *     back a field that was changed since enable
 * @param skipGateway leave the gateway alone (it lives elsewhere, or someone else configures it)
 */
public record EnableOptions(String container, int pubPort, int replayPort, VllmArgs vllmArgs, String tokenizer,
        String gatewayNamespace, String gatewayDeployment, boolean force, boolean skipGateway) {

    /** How the vLLM arguments are written. */
    public enum VllmArgs { AUTO, CONFIG, SEED }

    public EnableOptions {
        Objects.requireNonNull(vllmArgs, "vllmArgs");
        Objects.requireNonNull(gatewayNamespace, "gatewayNamespace");
        Objects.requireNonNull(gatewayDeployment, "gatewayDeployment");
        if (pubPort < 1 || pubPort > 65535 || replayPort < 1 || replayPort > 65535 || pubPort == replayPort) {
            throw new IllegalArgumentException("ports must be two different numbers from 1 to 65535, got "
                    + pubPort + " and " + replayPort);
        }
    }

    /** Ports 5557 and 5558, {@code --kv-events-config}, the gateway {@code aibrix-system/aibrix-gateway-plugins}. */
    public static EnableOptions defaults() {
        return new EnableOptions(null, 5557, 5558, VllmArgs.AUTO, null, "aibrix-system", "aibrix-gateway-plugins", false,
                false);
    }

    public EnableOptions withTokenizer(String url) {
        return new EnableOptions(container, pubPort, replayPort, vllmArgs, url, gatewayNamespace, gatewayDeployment, force, skipGateway);
    }

    public EnableOptions withContainer(String name) {
        return new EnableOptions(name, pubPort, replayPort, vllmArgs, tokenizer, gatewayNamespace, gatewayDeployment, force, skipGateway);
    }

    public EnableOptions withVllmArgs(VllmArgs style) {
        return new EnableOptions(container, pubPort, replayPort, style, tokenizer, gatewayNamespace, gatewayDeployment, force, skipGateway);
    }

    public EnableOptions withPorts(int pub, int replay) {
        return new EnableOptions(container, pub, replay, vllmArgs, tokenizer, gatewayNamespace, gatewayDeployment, force, skipGateway);
    }

    public EnableOptions withGateway(String namespace, String deployment) {
        return new EnableOptions(container, pubPort, replayPort, vllmArgs, tokenizer, namespace, deployment, force, skipGateway);
    }

    public EnableOptions withForce(boolean f) {
        return new EnableOptions(container, pubPort, replayPort, vllmArgs, tokenizer, gatewayNamespace, gatewayDeployment, f, skipGateway);
    }

    public EnableOptions withSkipGateway(boolean skip) {
        return new EnableOptions(container, pubPort, replayPort, vllmArgs, tokenizer, gatewayNamespace, gatewayDeployment, force, skip);
    }
}
