package io.kvevents.internal.doctor;

import io.kvevents.internal.kube.JsonTree;
import io.kvevents.internal.kube.PodTargets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** What a pod's own status and spec show: containers that crashed, and ports its sockets would share. */
public final class PodEvidence {
    private PodEvidence() {
    }

    /**
     * A container that restarted or waits to: its restarts, why it waits ({@code CrashLoopBackOff}), and how its
     * last instance ended (reason, exit code).
     */
    public record Trouble(String container, long restarts, String waiting, String lastReason, Long lastExitCode) {
        /** {@code container vllm restarted 5 times (CrashLoopBackOff; last exit 2, Error)}. */
        public String describe() {
            String last = lastExitCode == null ? "" : "last exit " + lastExitCode + (lastReason == null ? "" : ", " + lastReason);
            String why = waiting == null ? last : last.isEmpty() ? waiting : waiting + "; " + last;
            return "container " + container + " restarted " + restarts + (restarts == 1 ? " time" : " times")
                    + (why.isEmpty() ? "" : " (" + why + ")");
        }
    }

    /** One cause read from a crashed container's log or its termination reason, and what fixes it. */
    public record Cause(String check, String evidence, String fix) {
    }

    /** The containers of a pod that restarted or wait in a back-off. */
    public static List<Trouble> troubles(Map<String, Object> pod) {
        List<Trouble> out = new ArrayList<>();
        for (Map<String, Object> s : JsonTree.maps(JsonTree.at(pod, "status", "containerStatuses"))) {
            long restarts = s.get("restartCount") instanceof Number n ? n.longValue() : 0;
            Object waiting = JsonTree.at(s, "state", "waiting", "reason");
            boolean backOff = waiting != null && !"ContainerCreating".equals(waiting) && !"PodInitializing".equals(waiting);
            if (restarts == 0 && !backOff) {
                continue;
            }
            Object reason = JsonTree.at(s, "lastState", "terminated", "reason");
            Object exit = JsonTree.at(s, "lastState", "terminated", "exitCode");
            out.add(new Trouble(String.valueOf(s.get("name")), restarts, backOff ? String.valueOf(waiting) : null,
                    reason == null ? null : String.valueOf(reason), exit instanceof Number e ? e.longValue() : null));
        }
        return out;
    }

    /**
     * Why an engine exited, from the tail of its log (and the kubelet's reason): the guide's flags (vLLM's
     * argparse: "unrecognized arguments"), a port another socket holds (pyzmq's ZMQError "Address already in
     * use", raised by {@code ZmqEventPublisher}'s bind in vLLM v0.11.0 vllm/distributed/kv_events.py), a
     * {@code --kv-events-config} that is not JSON, or memory.
     */
    public static Optional<Cause> cause(String log, String reason, String model) {
        String enable = "kubectl kvevents enable " + model;
        if (log != null) {
            List<String> lines = log.lines().toList();
            for (int i = lines.size() - 1; i >= 0; i--) {
                String line = lines.get(i);
                if (line.contains("Address already in use")) {
                    return Optional.of(new Cause("bind", line.strip(), "give each ZeroMQ endpoint a port no other socket of the"
                            + " pod uses: every data-parallel rank binds the configured ports + its rank (see the ports check)"));
                }
                if (line.contains("unrecognized arguments")) {
                    return Optional.of(new Cause("crash-loop", line.strip(), enable + " (it replaces the guide's"
                            + " --enable-kv-cache-events/--kv-events-* flags, which vLLM does not know, with --kv-events-config)"));
                }
                if (line.contains("kv-events-config") || line.contains("kv_events_config") || line.contains("KVEventsConfig")) {
                    return Optional.of(new Cause("crash-loop", line.strip(), enable + " (it writes a --kv-events-config"
                            + " vLLM parses)"));
                }
            }
        }
        if ("OOMKilled".equals(reason)) {
            return Optional.of(new Cause("crash-loop", "the kernel killed it for memory (OOMKilled)",
                    "raise the container's memory limit"));
        }
        return Optional.empty();
    }

    /** The last line of a log that says something (not blank), or null. */
    public static String lastLine(String log) {
        if (log == null) {
            return null;
        }
        List<String> lines = log.lines().filter(l -> !l.isBlank()).toList();
        return lines.isEmpty() ? null : lines.get(lines.size() - 1).strip();
    }

    /**
     * Ports that two sockets of a pod (spec or template spec) would both bind: every data-parallel rank's live and
     * replay ports, the engine's HTTP port, the ports the other containers declare (a pod's containers share one
     * network namespace). Each collision once, as a sentence.
     */
    public static List<String> portCollisions(String namespace, String name, Map<String, Object> spec) {
        PodTargets.Pod engine = PodTargets.engine(namespace, name, spec);
        Map<Integer, List<String>> owners = new LinkedHashMap<>();
        owners.computeIfAbsent(engine.httpPort(), k -> new ArrayList<>()).add("the engine's HTTP port");
        boolean many = engine.ranks() > 1;
        for (PodTargets.Rank r : engine.publishers()) {
            String who = many ? "rank " + r.rank() + "'s " : "the engine's ";
            owners.computeIfAbsent(r.pubPort(), k -> new ArrayList<>()).add(who + "event port");
            if (r.replayPort() > 0) {
                owners.computeIfAbsent(r.replayPort(), k -> new ArrayList<>()).add(who + "replay port");
            }
        }
        Object engineName = null;
        for (Map<String, Object> c : JsonTree.maps(spec.get("containers"))) {
            if (io.kvevents.internal.kube.Workloads.isEngine(c)) {
                engineName = c.get("name");
                break;
            }
        }
        for (Map<String, Object> c : JsonTree.maps(spec.get("containers"))) {
            if (engineName != null && engineName.equals(c.get("name"))) {
                continue; // the engine's declared ports name the sockets counted above
            }
            for (Map<String, Object> p : JsonTree.maps(c.get("ports"))) {
                if (p.get("containerPort") instanceof Number n) {
                    owners.computeIfAbsent(n.intValue(), k -> new ArrayList<>()).add("container " + c.get("name") + "'s port");
                }
            }
        }
        List<String> out = new ArrayList<>();
        owners.forEach((port, who) -> {
            if (who.size() > 1) {
                out.add("port " + port + " is " + String.join(" and ", who));
            }
        });
        return out;
    }
}
