// JShell startup for the kvevents SDK: one import gives the whole public API.
//   jshell --class-path kubectl-kvevents/target/kvevents.jar --startup DEFAULT --startup examples/kvevents.jsh
import io.kvevents.sdk.*;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.IntStream;
