package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/** The CLI depends only on the SDK's public package (docs/architecture.md), never on its internals. */
class ApiBoundaryTest {
    @Test
    void theCliImportsOnlyTheSdkFacade() throws IOException {
        Path sources = Path.of("src/main/java");
        try (Stream<Path> files = Files.walk(sources)) {
            List<String> offending = files.filter(p -> p.toString().endsWith(".java"))
                    .flatMap(p -> {
                        try {
                            return Files.readAllLines(p).stream()
                                    .filter(l -> l.startsWith("import io.kvevents.") && !l.startsWith("import io.kvevents.sdk.")
                                            && !l.startsWith("import io.kvevents.cli."))
                                    .map(l -> p.getFileName() + ": " + l);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }).toList();
            assertEquals(List.of(), offending);
        }
    }
}
