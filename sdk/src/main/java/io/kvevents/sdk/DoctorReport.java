package io.kvevents.sdk;

import java.time.Duration;
import java.util.List;

/**
 * What {@code kubectl kvevents doctor} found: the gateway's checks (remote tokenizer, memory) and each model's
 * (configuration, flags, compatibility, block size, labels, ports, crash loops, bind failures, replay port,
 * publishing, event lag).
 *
 * <pre>{@code
 * var report = DoctorReport.examine(KubeContext.defaults(), "llama-3-8b", EnableOptions.DEFAULT, Duration.ofSeconds(3));
 * report.findings().stream().filter(f -> f.result() != Finding.Result.PASS).forEach(System.out::println);
 * }</pre>
 */
public record DoctorReport(List<Finding> gateway, List<Diagnosis> models) {

    public DoctorReport {
        gateway = List.copyOf(gateway);
        models = List.copyOf(models);
    }

    /**
     * Examines one model Deployment (or, with a null model, every vLLM or SGLang Deployment of the context's
     * namespace) and the gateway.
     *
     * @param look how long to watch each model's pods for live events (the event lag needs traffic meanwhile)
     * @throws IllegalArgumentException when there is no such model
     * @throws IllegalStateException when the API server cannot be reached or read
     */
    public static DoctorReport examine(KubeContext context, String model, EnableOptions options, Duration look) {
        return new Doctor(context, options, look).examine(model);
    }

    /** Every finding, the gateway's first. */
    public List<Finding> findings() {
        List<Finding> all = new java.util.ArrayList<>(gateway);
        models.forEach(d -> all.addAll(d.findings()));
        return all;
    }

    /** True when a check failed. */
    public boolean failed() {
        return findings().stream().anyMatch(f -> f.result() == Finding.Result.FAIL);
    }

    @Override
    public String toString() {
        long failed = findings().stream().filter(f -> f.result() == Finding.Result.FAIL).count();
        return "DoctorReport[" + models.size() + " models, " + findings().size() + " findings, " + failed + " failed]";
    }
}
