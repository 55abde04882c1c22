package io.kvevents.internal.stream;

import io.kvevents.sdk.SourceStats;
import java.util.List;

/** A thread that owns some sources and feeds their items to the merged stream. */
interface SourceWorker {
    void start();

    /** Asks the worker to stop and waits (briefly) until it has. */
    void stop();

    /** True once the worker will emit nothing more. */
    boolean done();

    List<SourceStats> stats();
}
