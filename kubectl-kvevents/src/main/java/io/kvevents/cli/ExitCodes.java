package io.kvevents.cli;

/** The exit codes of every command (docs/cli.md). */
final class ExitCodes {
    static final int OK = 0;
    static final int FAILURE = 1;
    static final int USAGE = 2;
    static final int ROLLED_BACK = 3;

    private ExitCodes() {
    }
}
