// Simulated vLLM pods publishing on loopback; the index rebuilt from their live streams (history by
// replay) agrees with what each pod really holds.
var trace = TraceRequest.read(Path.of("examples/traces/mooncake-conversation-trace.jsonl"), 40);
try (var cluster = SimulatedCluster.start(Simulation.Config.defaults(), "demo-model", WireFormat.DEFAULT, Simulation.Policy.PREFIX)) {
    trace.forEach(cluster::serve);
    cluster.flush();
    var index = PrefixIndex.create();
    try (var stream = EventStream.connect(cluster.endpoints(), StreamOptions.defaults())) {
        index.follow(stream, Duration.ofSeconds(2), item -> {});
    }
    var prompt = trace.get(39).tokens();
    var result = index.probe(prompt);
    System.out.println(result);
    for (var pod : cluster.pods()) {
        if (result.pod(pod).matchedBlocks() != cluster.cachedPrefixBlocks(pod, prompt)) throw new AssertionError(pod + " disagrees");
    }
}
/exit
