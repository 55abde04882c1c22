package io.kvevents.cli;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;

/** Runs the command line in-process and captures what it prints (kcctl's KcctlCommandContext). */
final class CliHarness {
    private CliHarness() {
    }

    /** What a run left behind. */
    record Result(int exitCode, String out, String err) {
        List<String> outLines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }

        List<String> errLines() {
            return err.isEmpty() ? List.of() : List.of(err.split("\n"));
        }
    }

    /** A writer whose text can be read while another thread is still writing. */
    static final class SharedText extends StringWriter {
        @Override
        public synchronized void write(String str, int off, int len) {
            super.write(str, off, len);
        }

        @Override
        public synchronized void write(char[] cbuf, int off, int len) {
            super.write(cbuf, off, len);
        }

        @Override
        public synchronized void write(int c) {
            super.write(c);
        }

        @Override
        public synchronized String toString() {
            return super.toString();
        }
    }

    static Result run(String... args) {
        return run(new SharedText(), new SharedText(), args);
    }

    static Result run(SharedText out, SharedText err, String... args) {
        int code = Main.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new Result(code, out.toString(), err.toString());
    }
}
