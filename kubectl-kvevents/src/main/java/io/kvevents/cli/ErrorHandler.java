package io.kvevents.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.List;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.UnmatchedArgumentException;

/** Every failure becomes one {@code error: …} line and an exit code; the stack trace only with {@code --verbose}. */
final class ErrorHandler implements IExecutionExceptionHandler, IParameterExceptionHandler {

    @Override
    public int handleExecutionException(Exception ex, CommandLine cmd, ParseResult parseResult) {
        PrintWriter err = cmd.getErr();
        err.println("error: " + message(ex));
        if (KvEventsCommand.verbose(cmd.getCommandSpec())) {
            ex.printStackTrace(err);
        }
        err.flush();
        return ex instanceof CliException c ? c.exitCode() : ExitCodes.FAILURE;
    }

    @Override
    public int handleParseException(ParameterException ex, String[] args) {
        CommandLine cmd = ex.getCommandLine();
        PrintWriter err = cmd.getErr();
        String see = " (see '" + cmd.getCommandSpec().qualifiedName() + " --help')";
        if (ex instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()
                && !u.getUnmatched().get(0).startsWith("-") && !cmd.getSubcommands().isEmpty()) {
            // kubectl (cobra): unknown command "statu" for "kubectl" … Did you mean this? status
            List<String> near = near(u.getUnmatched().get(0), cmd.getSubcommands().keySet());
            err.println("error: unknown command \"" + u.getUnmatched().get(0) + "\" for \""
                    + cmd.getCommandSpec().qualifiedName() + "\"" + (near.isEmpty() ? "" : "; did you mean "
                    + String.join(" or ", near) + "?") + see);
        } else {
            err.println("error: " + firstLine(ex.getMessage()) + see);
        }
        for (String a : args) { // the parse failed: only the raw arguments say whether --verbose was given
            if (a.equals("-v") || a.equals(KvEventsCommand.VERBOSE)) {
                ex.printStackTrace(err);
            }
        }
        err.flush();
        return ExitCodes.USAGE;
    }

    /** Commands a typo may have meant, as cobra finds them: a prefix, or at most 2 edits away. */
    static List<String> near(String typed, java.util.Collection<String> commands) {
        return commands.stream().filter(c -> c.startsWith(typed) || edits(typed, c) <= 2).sorted().toList();
    }

    /** Levenshtein distance. */
    private static int edits(String a, String b) {
        int[] row = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            row[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int above = row[j];
                row[j] = Math.min(Math.min(row[j] + 1, row[j - 1] + 1), diagonal + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.length()];
    }

    private static String message(Throwable ex) {
        Throwable t = ex;
        // The SDK's unchecked wrappers carry the useful message; an I/O wrapper's cause says what failed.
        if (t instanceof UncheckedIOException && t.getMessage() == null && t.getCause() != null) {
            t = t.getCause();
        }
        String m = t.getMessage();
        return firstLine(m == null || m.isBlank() ? t.getClass().getSimpleName() : m);
    }

    private static String firstLine(String s) {
        int nl = s.indexOf('\n');
        return (nl < 0 ? s : s.substring(0, nl)).strip();
    }
}
