package io.kvevents.bench;

import io.kvevents.sdk.EventStream;
import io.kvevents.sdk.PrefixIndex;
import io.kvevents.sdk.ReceivedBatch;
import io.kvevents.sdk.SourceSpec;
import io.kvevents.sdk.StreamItem;
import io.kvevents.sdk.StreamOptions;
import io.kvevents.testing.VllmPeer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * SPEC §10's recovery from a libzmq publisher (docs/performance.md, "What bounds each figure"): the test peer
 * ({@code vllm_publisher.py} on Debian's pyzmq, publishing and replaying as vLLM's ZmqEventPublisher does) buffers
 * BATCHES batches before anyone subscribes; a stream then connects and replays them into an index. Prints each run's
 * time from connect to the last batch applied, the replay requests it took, and the median. {@code bench} measures the
 * same against its in-process jeromq publisher, which needs no Python.
 *
 * <p>{@code java -cp sdk/target/test-classes:sdk/target/classes:<the sdk's classpath>
 * io.kvevents.bench.RecoveryFromLibzmq [BATCHES [RUNS [PEER OPTION...]]]} (10,000, 5), from the repository's root;
 * {@code --router-hwm N} makes the peer's ROUTER drop replies past N queued (vLLM's: libzmq's default, 1,000). A
 * measuring tool, not a test.
 */
public final class RecoveryFromLibzmq {
    private RecoveryFromLibzmq() {
    }

    public static void main(String[] args) throws Exception {
        int batches = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
        int runs = args.length > 1 ? Integer.parseInt(args[1]) : 5;
        List<String> peerOptions = new ArrayList<>(List.of("--buffer=" + batches));
        peerOptions.addAll(Arrays.asList(args).subList(Math.min(2, args.length), args.length));
        double[] millis = new double[runs];
        for (int run = 0; run < runs; run++) {
            try (VllmPeer peer = VllmPeer.start(peerOptions.toArray(String[]::new))) {
                peer.publish(batches);
                PrefixIndex index = PrefixIndex.create();
                long t0 = System.nanoTime();
                int applied = 0;
                long deadline = t0 + Duration.ofSeconds(60).toNanos();
                try (EventStream stream = EventStream.connect(List.of(SourceSpec.parse(peer.endpointSpec("pod-a"))),
                        StreamOptions.DEFAULT)) {
                    while (applied < batches && System.nanoTime() < deadline) {
                        StreamItem item = stream.poll(Duration.ofMillis(100));
                        if (item != null) {
                            index.apply(item);
                            applied += item instanceof ReceivedBatch ? 1 : 0;
                        }
                    }
                    if (applied < batches) {
                        throw new IllegalStateException("only " + applied + " of " + batches + " batches within 60 s");
                    }
                    millis[run] = (System.nanoTime() - t0) / 1e6;
                    System.out.printf("run %d: %d batches in %.0f ms, %d replay requests, %d answered%n", run + 1, batches,
                            millis[run], stream.stats().get(0).replays(), stream.stats().get(0).replaysAnswered());
                }
            }
        }
        Arrays.sort(millis);
        double median = runs % 2 == 1 ? millis[runs / 2] : (millis[runs / 2 - 1] + millis[runs / 2]) / 2;
        System.out.printf("median %.0f ms of %d runs%n", median, runs);
    }
}
