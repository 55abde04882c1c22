package io.kvevents.cli;

import picocli.CommandLine.Option;

/** The prefix cache of each simulated pod. */
final class CacheOptions {

    @Option(names = "--blocks", paramLabel = "B", defaultValue = "131072",
            description = "Prefix-cache capacity of each pod, in blocks (default: ${DEFAULT-VALUE}).")
    int blocks;

    @Option(names = "--block-size", paramLabel = "TOKENS", defaultValue = "16", description = "Tokens per block (default: ${DEFAULT-VALUE}).")
    int blockSize;
}
