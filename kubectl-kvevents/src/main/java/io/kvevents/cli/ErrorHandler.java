package io.kvevents.cli;

import java.io.PrintWriter;
import java.io.UncheckedIOException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;

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
        err.println("error: " + firstLine(ex.getMessage()) + " (see '" + cmd.getCommandSpec().qualifiedName()
                + " --help')");
        for (String a : args) { // the parse failed: only the raw arguments say whether --verbose was given
            if (a.equals("-v") || a.equals(KvEventsCommand.VERBOSE)) {
                ex.printStackTrace(err);
            }
        }
        err.flush();
        return ExitCodes.USAGE;
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
