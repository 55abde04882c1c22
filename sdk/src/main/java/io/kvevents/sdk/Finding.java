package io.kvevents.sdk;

import java.util.Objects;

/**
 * One check of {@code doctor} on one subject (a model, a pod, the gateway): what it found, the evidence, and the
 * fix when something is wrong.
 *
 * @param check the check's name: {@code configuration}, {@code flags}, {@code crash-loop}, {@code event-lag}, …
 *     (docs/cli.md lists them)
 * @param subject what was looked at: {@code deployment.apps/llama}, {@code pod/llama-0}, {@code gateway}
 * @param fix what to do about it; null when the result is {@link Result#PASS}
 */
public record Finding(String check, Result result, String subject, String evidence, String fix) {

    /** How a check came out. {@code SKIPPED} says why it could not run: it never passes silently. */
    public enum Result { PASS, WARN, FAIL, SKIPPED }

    public Finding {
        Objects.requireNonNull(check, "check");
        Objects.requireNonNull(result, "result");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(evidence, "evidence");
    }

    public static Finding pass(String check, String subject, String evidence) {
        return new Finding(check, Result.PASS, subject, evidence, null);
    }

    public static Finding warn(String check, String subject, String evidence, String fix) {
        return new Finding(check, Result.WARN, subject, evidence, fix);
    }

    public static Finding fail(String check, String subject, String evidence, String fix) {
        return new Finding(check, Result.FAIL, subject, evidence, fix);
    }

    /** A check that could not run, and why (no permission, no ready pod, no traffic). */
    public static Finding skipped(String check, String subject, String why) {
        return new Finding(check, Result.SKIPPED, subject, why, null);
    }

    @Override
    public String toString() {
        return result + " " + check + " " + subject + ": " + evidence + (fix == null ? "" : " (fix: " + fix + ")");
    }
}
