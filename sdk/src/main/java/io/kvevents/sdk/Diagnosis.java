package io.kvevents.sdk;

import java.util.List;

/** What {@code doctor} found about one model Deployment, check by check. */
public record Diagnosis(String model, String namespace, List<Finding> findings) {

    public Diagnosis {
        findings = List.copyOf(findings);
    }

    /** True when a check failed. */
    public boolean failed() {
        return findings.stream().anyMatch(f -> f.result() == Finding.Result.FAIL);
    }

    @Override
    public String toString() {
        return "Diagnosis[" + namespace + "/" + model + " " + findings.size() + " findings"
                + (failed() ? ", failed" : "") + "]";
    }
}
