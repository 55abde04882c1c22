// Every event of the golden vLLM payloads (one per vLLM layout), malformed ones reported, then the counters.
try (var stream = EventStream.replay(Path.of("examples/recordings/vllm-golden-vectors.jsonl"))) {
    stream.items().forEach(System.out::println);
    stream.stats().forEach(System.out::println);
}
/exit
