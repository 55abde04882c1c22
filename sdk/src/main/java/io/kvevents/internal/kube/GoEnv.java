package io.kvevents.internal.kube;

import java.util.Set;

/**
 * Environment values as the AIBrix gateway, a Go program, reads them (e3e10f9 pkg/utils/util.go): an empty value is
 * unset ({@code LoadEnv}), and a boolean is what Go's {@code strconv.ParseBool} accepts, else the default
 * ({@code LoadEnvBool}).
 */
public final class GoEnv {
    private static final Set<String> TRUE = Set.of("1", "t", "T", "TRUE", "true", "True");
    private static final Set<String> FALSE = Set.of("0", "f", "F", "FALSE", "false", "False");

    private GoEnv() {
    }

    /** The boolean {@code value} means to the gateway; {@code fallback} when it is unset or not a Go boolean. */
    public static boolean bool(String value, boolean fallback) {
        Boolean parsed = parseBool(value);
        return parsed == null ? fallback : parsed;
    }

    /** {@code strconv.ParseBool}: null for anything it rejects ({@code tRuE}, {@code yes}, the empty string). */
    public static Boolean parseBool(String value) {
        return value == null ? null : TRUE.contains(value) ? Boolean.TRUE : FALSE.contains(value) ? Boolean.FALSE : null;
    }

    /** The value, or {@code fallback} when it is unset or empty. */
    public static String string(String value, String fallback) {
        return value == null || value.isEmpty() ? fallback : value;
    }
}
