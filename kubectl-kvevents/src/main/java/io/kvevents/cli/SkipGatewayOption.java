package io.kvevents.cli;

import picocli.CommandLine.Option;

/** {@code --skip-gateway}: enable and disable leave the gateway's settings alone. */
final class SkipGatewayOption {

    @Option(names = "--skip-gateway", description = "Leave the gateway's settings alone (it lives elsewhere, or someone"
            + " else configures it); without it, a gateway that is not there stops the command before any write.")
    boolean skip;
}
