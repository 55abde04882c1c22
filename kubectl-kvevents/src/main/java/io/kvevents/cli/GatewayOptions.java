package io.kvevents.cli;

import picocli.CommandLine.Option;

/** Where the AIBrix gateway runs. */
final class GatewayOptions {

    @Option(names = "--gateway-namespace", paramLabel = "NS", defaultValue = "aibrix-system",
            description = "The gateway's namespace (default: ${DEFAULT-VALUE}).")
    String namespace;

    @Option(names = "--gateway-deployment", paramLabel = "NAME", defaultValue = "aibrix-gateway-plugins",
            description = "The gateway Deployment (default: ${DEFAULT-VALUE}).")
    String deployment;
}
