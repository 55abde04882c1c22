package io.kvevents.cli;

import io.kvevents.sdk.SimulatedCluster;
import io.kvevents.sdk.Simulation;
import io.kvevents.sdk.Simulation.Policy;
import io.kvevents.sdk.SourceSpec;
import io.kvevents.sdk.TraceRequest;
import io.kvevents.sdk.WireFormat;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code kubectl kvevents simulate}: vLLM-compatible publishers on loopback driven by a workload trace. */
@Command(name = SimulateCommand.NAME,
        mixinStandardHelpOptions = true,
        header = SimulateCommand.HEADER,
        description = "Replay a Mooncake workload trace over simulated vLLM pods (an LRU prefix cache each) and report"
            + " the hit rate of each routing policy; with --serve, publish their events on loopback exactly as"
            + " vLLM does, for tail and cache-probe.",
        sortOptions = false,
        abbreviateSynopsis = true,
        usageHelpAutoWidth = true,
        footerHeading = "%nExamples:%n",
        footer = {"  # the hit rate of each routing policy on 4 simulated pods",
            "  kubectl kvevents simulate --pods 4 --requests 3000",
            "",
            "  # publish on loopback, as vLLM does, for tail and cache-probe",
            "  kubectl kvevents simulate --serve --policy prefix --endpoints-file eps.txt"})
final class SimulateCommand implements Callable<Integer> {
    static final String NAME = "simulate";
    static final String HEADER = "Simulated vLLM pods driven by a workload trace.";

    @Spec
    CommandSpec spec;

    @Mixin
    TraceOption trace;

    @Option(names = "--pods", paramLabel = "N", defaultValue = "4", description = "Simulated pods (default: ${DEFAULT-VALUE}).")
    int pods;

    @Mixin
    CacheOptions cache;

    @Option(names = "--requests", paramLabel = "N", defaultValue = "3000",
            description = "Requests of the trace to replay (default: ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--policy", paramLabel = "POLICY", defaultValue = "all",
            description = "round-robin, random, prefix, or all (default: ${DEFAULT-VALUE}; --serve takes one).")
    String policy;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the random policy and the hash salts.")
    long seed;

    @Option(names = "--plot", paramLabel = "FILE",
            description = "Also write each policy's hit rate over the trace as an SVG line chart.")
    java.nio.file.Path plot;

    @Option(names = "--serve", description = "Publish the pods' events on loopback (PUB + replay ROUTER per pod).")
    boolean serve;

    @Option(names = "--base-port", paramLabel = "PORT", defaultValue = "0",
            description = "Pod i publishes on PORT+2i and replays on PORT+2i+1 (default: free ports).")
    int basePort;

    @Option(names = "--model", paramLabel = "NAME", defaultValue = "demo-model",
            description = "The model named in the topic kv@<pod>@<model> (default: ${DEFAULT-VALUE}).")
    String model;

    @Option(names = "--events", paramLabel = "map|array", defaultValue = "map",
            description = "Event encoding: map (vLLM after 0.23) or array (0.9 to 0.23).")
    WireFormat.Events events;

    @Option(names = "--hashes", paramLabel = "int|signed_int|bytes", defaultValue = "int",
            description = "Block hash encoding (default: ${DEFAULT-VALUE}).")
    WireFormat.Hashes hashes;

    @Option(names = "--no-topic-frame", description = "Answer replays without the topic frame (vLLM before 0.26).")
    boolean noTopicFrame;

    @Option(names = "--rate", paramLabel = "R", defaultValue = "0",
            description = "Requests per second while serving (default: as fast as possible).")
    double rate;

    @Option(names = "--duration", paramLabel = "D", converter = PositiveDurationConverter.class,
            description = "With --serve: keep the pods up this long after the replay (default: until interrupted).")
    Duration duration;

    @Option(names = "--endpoints-file", paramLabel = "FILE", description = "With --serve: write the pods' --endpoint specs here.")
    Path endpointsFile;

    @Option(names = "--prompts-file", paramLabel = "FILE",
            description = "With --serve: write the token ids of the last requests served (for cache-probe --tokens-file).")
    Path promptsFile;

    @Option(names = "--prompts", paramLabel = "N", defaultValue = "3", description = "How many prompts --prompts-file gets.")
    int promptCount;

    @Override
    public Integer call() throws InterruptedException {
        if (requests < 1) {
            throw CliException.usage("--requests must be at least 1");
        }
        Simulation.Config config;
        try {
            config = new Simulation.Config(pods, cache.blocks, cache.blockSize, seed);
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage());
        }
        List<TraceRequest> workload = trace.read(requests);
        return serve ? serve(config, workload) : report(config, workload);
    }

    private List<Policy> policies() {
        if (policy.equalsIgnoreCase("all")) {
            return List.of(Policy.values());
        }
        try {
            return List.of(Policy.parse(policy));
        } catch (IllegalArgumentException e) {
            throw CliException.usage(e.getMessage() + " (or all)");
        }
    }

    private int report(Simulation.Config config, List<TraceRequest> workload) {
        PrintWriter out = spec.commandLine().getOut();
        Table t = new Table("POLICY", "HIT-RATE", "REQUESTS", "PROMPT-BLOCKS", "HIT-BLOCKS", "STORED", "EVICTED");
        List<Simulation.PolicyResult> results = new java.util.ArrayList<>();
        for (Policy p : policies()) {
            Simulation.PolicyResult r = Simulation.hitRates(workload, config, p);
            results.add(r);
            t.row(p.label(), String.format(Locale.ROOT, "%.1f%%", 100 * r.hitRate()), r.requests(), r.promptBlocks(),
                    r.hitBlocks(), r.storedBlocks(), r.evictedBlocks());
        }
        t.print(out);
        if (plot != null) {
            try {
                java.nio.file.Files.writeString(plot, HitRatePlot.svg(results, "Prefix cache hit rate, " + config.pods()
                        + " pods of " + config.capacityBlocks() + " blocks"));
            } catch (java.io.IOException e) {
                throw new CliException(ExitCodes.FAILURE, "cannot write " + plot + ": " + e.getMessage());
            }
            spec.commandLine().getErr().println("wrote " + plot);
        }
        return ExitCodes.OK;
    }

    private int serve(Simulation.Config config, List<TraceRequest> workload) throws InterruptedException {
        List<Policy> chosen = policy.equalsIgnoreCase("all") ? List.of(Policy.ROUND_ROBIN) : policies();
        if (chosen.size() != 1) {
            throw CliException.usage("--serve routes by one policy: round-robin, random or prefix");
        }
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch stopped = new CountDownLatch(1);
        Thread onInterrupt = new Thread(() -> {
            stop.countDown();
            try {
                stopped.await(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "kvevents-simulate-shutdown");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        try (SimulatedCluster cluster = SimulatedCluster.start(config, model, WireFormat.of(events, hashes),
                chosen.get(0), !noTopicFrame, basePort)) {
            List<String> specs = cluster.endpoints().stream().map(SourceSpec::toString).toList();
            specs.forEach(out::println);
            out.flush();
            write(endpointsFile, specs);
            long start = System.nanoTime();
            for (int i = 0; i < workload.size() && stop.getCount() > 0; i++) {
                if (rate > 0) {
                    long due = start + (long) (i * 1e9 / rate);
                    long wait = due - System.nanoTime();
                    if (wait > 0 && stop.await(wait, TimeUnit.NANOSECONDS)) {
                        break;
                    }
                }
                cluster.serve(workload.get(i));
            }
            cluster.flush();
            List<String> prompts = workload.subList(Math.max(0, workload.size() - promptCount), workload.size()).stream()
                    .map(r -> IntStream.of(r.tokens()).mapToObj(Integer::toString).collect(Collectors.joining(",")))
                    .toList();
            write(promptsFile, prompts);
            err.println("simulate: " + workload.size() + " requests served by " + config.pods() + " pods ("
                    + chosen.get(0).label() + "); publishing until " + (duration == null ? "interrupted" : duration.toSeconds() + "s from now"));
            err.flush();
            if (duration == null) {
                stop.await();
            } else {
                stop.await(duration.toMillis(), TimeUnit.MILLISECONDS);
            }
        } finally {
            stopped.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook waits for the latch released above
            }
        }
        return ExitCodes.OK;
    }

    private static void write(Path file, List<String> lines) {
        if (file == null) {
            return;
        }
        try {
            Files.write(file, lines, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
