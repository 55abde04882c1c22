// Rebuild the prefix index from a recording of two pods (one loses two batches, then restarts),
// and probe a 160-token prompt: pod-a holds 1 block of it, pod-b 3.
var index = PrefixIndex.create();
try (var stream = EventStream.replay(Path.of("examples/recordings/two-pods-gap-restart.jsonl"))) {
    stream.items().forEach(index::apply);
}
System.out.println(index.stats());
var result = index.probe(IntStream.range(0, 160).toArray());
System.out.println(result);
if (result.pod("pod-b").matchedBlocks() != 3) throw new AssertionError("expected pod-b to hold 3 blocks: " + result);
// The same through a pipelined index (residency recorded on a second thread, as cache-probe and top do): same answer.
var pipelined = PrefixIndex.pipelined(PrefixIndex.DEFAULT_MODEL);
try (var stream = EventStream.replay(Path.of("examples/recordings/two-pods-gap-restart.jsonl"))) {
    stream.items().forEach(pipelined::apply);
}
if (!pipelined.probe(IntStream.range(0, 160).toArray()).equals(result)) throw new AssertionError("the pipelined index differs");
pipelined.close(); // stops its second thread (an index dropped unclosed has it stopped after a collection)
/exit
