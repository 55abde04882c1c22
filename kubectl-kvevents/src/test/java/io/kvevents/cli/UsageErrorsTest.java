package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.kvevents.cli.CliHarness.Result;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Issue 14: values no command can run with are refused when the command line is parsed, with one line that says
 * why, and exit code 2 (docs/cli.md's usage code, the one documented exception to kubectl, which exits 1); a typo of a
 * command gets the suggestion cobra gives kubectl users (a prefix, or at most two edits away).
 */
class UsageErrorsTest {

    static Stream<Arguments> refused() {
        return Stream.of(
                Arguments.of(List.of("statu"), "error: unknown command \"statu\" for \"kubectl kvevents\"; did you mean"
                        + " status? (see 'kubectl kvevents --help')"),
                Arguments.of(List.of("ena"), "error: unknown command \"ena\" for \"kubectl kvevents\"; did you mean"
                        + " enable? (see 'kubectl kvevents --help')"),
                Arguments.of(List.of("xyz"), "error: unknown command \"xyz\" for \"kubectl kvevents\" (see 'kubectl"
                        + " kvevents --help')"),
                Arguments.of(List.of("tail", "--endpoint", "a=tcp://127.0.0.1:5557", "--max-events", "-1"),
                        "error: Invalid value for option '--max-events': '-1' is not a positive number (at least 1)"
                                + " (see 'kubectl kvevents tail --help')"),
                Arguments.of(List.of("tail", "--endpoint", "a=tcp://127.0.0.1:5557", "--timeout", "0"),
                        "error: Invalid value for option '--timeout': '0' is no time at all: give a positive duration"
                                + " (e.g. 30s, 5m) (see 'kubectl kvevents tail --help')"),
                Arguments.of(List.of("tail", "--endpoint", "a=tcp://127.0.0.1:99999"),
                        "error: Invalid value for option '--endpoint' (NAME=tcp://HOST:PORT[,replay=tcp://HOST:PORT]):"
                                + " invalid live endpoint 'tcp://127.0.0.1:99999': port 99999 is not between 1 and 65535"
                                + " (see 'kubectl kvevents tail --help')"),
                Arguments.of(List.of("tail", "--from", "rec.jsonl", "--tail", "5"),
                        "error: Unknown option: '--tail'; Expected parameter for option '--from' but found '--tail'"
                                + " (see 'kubectl kvevents tail --help')"),
                Arguments.of(List.of("enable", "m", "--local", "-f", "x.yaml", "--pub-port", "99999"),
                        "error: Invalid value for option '--pub-port': port 99999 is not between 1 and 65535"
                                + " (see 'kubectl kvevents enable --help')"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("refused")
    void refusedAtParseTimeWithOneLine(List<String> args, String line) {
        Result r = CliHarness.run(args.toArray(String[]::new));
        assertEquals(2, r.exitCode(), r.err());
        assertEquals(List.of(line), r.errLines());
        assertEquals("", r.out());
    }
}
