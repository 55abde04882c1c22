package io.kvevents.sdk;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import io.kvevents.internal.kube.JsonTree;
import io.kvevents.internal.kube.KubeApi;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The migration log the guide asks for ("keep detailed logs of each migration"): every change enable, disable and
 * the rollout strategies make, kept in the cluster (the {@value #CONFIG_MAP} ConfigMap in the gateway's namespace,
 * the newest {@value #KEEP} entries) and in a local file ({@code ~/.kvevents/history.jsonl}, every entry).
 */
public final class MigrationLog {
    public static final String CONFIG_MAP = "kvevents-history";
    /** How many entries the ConfigMap keeps (a ConfigMap holds at most 1 MiB). */
    public static final int KEEP = 500;
    private static final String KEY = "history.jsonl";
    private static final long MAX_BYTES = 900_000;
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().serializeNulls().create();

    private MigrationLog() {
    }

    /**
     * One change.
     *
     * @param when an ISO-8601 instant, UTC
     * @param who the kubeconfig user (and {@code --as})
     * @param action enable, disable, canary, resize, promote, abort, blue-green, cut-over, rollback, soak
     * @param from what the model was before ({@code off}, {@code canary 1/4}, …)
     * @param to what the change made it
     * @param result {@code ok}, {@code failed} or {@code rolled back}
     * @param detail the error, or what a rollback did; null when nothing more to say
     */
    public record Entry(String when, String who, String namespace, String model, String action, String from, String to,
            String result, String detail) {

        /** An entry stamped now. */
        public static Entry now(String who, String namespace, String model, String action, String from, String to,
                String result, String detail) {
            return new Entry(Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS).toString(), who, namespace, model,
                    action, from, to, result, detail);
        }

        @Override
        public String toString() {
            return when + " " + who + " " + namespace + "/" + model + " " + action + " " + from + " → " + to + ": " + result
                    + (detail == null ? "" : " (" + detail + ")");
        }
    }

    /** The local log file: {@code history.jsonl} in {@code ~/.kvevents} (the {@code kvevents.home} property moves it). */
    public static Path localFile() {
        String home = System.getProperty("kvevents.home");
        return (home != null ? Path.of(home) : Path.of(System.getProperty("user.home"), ".kvevents")).resolve("history.jsonl");
    }

    /**
     * Records an entry in the local file and in the cluster's ConfigMap (created when missing, the oldest entries dropped
     * past {@value #KEEP}). A cluster that refuses the write loses nothing: the local file has it, and the refusal is
     * said through {@code warn}.
     */
    public static void record(KubeContext context, String gatewayNamespace, Entry entry, Consumer<String> warn) {
        appendLocal(localFile(), entry, warn);
        try {
            recordInCluster(KubeApi.connect(context), gatewayNamespace, entry);
        } catch (RuntimeException e) {
            warn.accept("the migration log in configmap/" + CONFIG_MAP + " -n " + gatewayNamespace + " was not written ("
                    + e.getMessage() + "); " + localFile() + " has the entry");
        }
    }

    static void appendLocal(Path file, Entry entry, Consumer<String> warn) {
        try {
            Files.createDirectories(file.getParent());
            Files.writeString(file, GSON.toJson(entry) + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            warn.accept("the local migration log " + file + " was not written: " + e.getMessage());
        }
    }

    /** The namespace a context works in ({@code -n}, else the kubeconfig's). */
    public static String namespace(KubeContext context) {
        return KubeApi.connect(context).defaultNamespace();
    }

    /** Who acts, as the context's kubeconfig names the user. */
    public static String who(KubeContext context) {
        try {
            return KubeApi.connect(context).who();
        } catch (RuntimeException e) {
            return "unknown";
        }
    }

    private static void recordInCluster(KubeApi api, String ns, Entry entry) {
        for (int attempt = 1; ; attempt++) {
            Map<String, Object> cm = api.configMap(ns, CONFIG_MAP);
            List<String> lines = new ArrayList<>();
            if (cm != null && JsonTree.at(cm, "data", KEY) instanceof String text) {
                text.lines().filter(l -> !l.isBlank()).forEach(lines::add);
            }
            lines.add(GSON.toJson(entry));
            List<String> kept = new ArrayList<>(lines.subList(Math.max(0, lines.size() - KEEP), lines.size()));
            // a ConfigMap holds at most 1 MiB: the oldest entries go first
            long bytes = kept.stream().mapToLong(l -> l.getBytes(StandardCharsets.UTF_8).length + 1L).sum();
            while (bytes > MAX_BYTES && kept.size() > 1) {
                bytes -= kept.remove(0).getBytes(StandardCharsets.UTF_8).length + 1L;
            }
            String data = String.join("\n", kept) + "\n";
            try {
                if (cm == null) {
                    Map<String, Object> created = new LinkedHashMap<>();
                    created.put("apiVersion", "v1");
                    created.put("kind", "ConfigMap");
                    created.put("metadata", new LinkedHashMap<>(Map.of("name", CONFIG_MAP, "namespace", ns,
                            "labels", Map.of("app.kubernetes.io/managed-by", "kubectl-kvevents"))));
                    created.put("data", new LinkedHashMap<>(Map.of(KEY, data)));
                    api.create(created);
                } else {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> d = (Map<String, Object>) cm.computeIfAbsent("data", k -> new LinkedHashMap<>());
                    d.put(KEY, data);
                    api.replace(cm);
                }
                return;
            } catch (IllegalStateException conflictOrCreatedMeanwhile) {
                if (attempt == 3) {
                    throw conflictOrCreatedMeanwhile; // two writers at once: the third read decides
                }
            }
        }
    }

    /** The entries of the cluster's log, oldest first (only {@code model}'s when not null). */
    public static List<Entry> read(KubeContext context, String gatewayNamespace, String model) {
        Map<String, Object> cm = KubeApi.connect(context).configMap(gatewayNamespace, CONFIG_MAP);
        String text = cm == null ? "" : String.valueOf(JsonTree.at(cm, "data", KEY) == null ? "" : JsonTree.at(cm, "data", KEY));
        return parse(text, model);
    }

    /** The entries of a local log file, oldest first (only {@code model}'s when not null); none when it does not exist. */
    public static List<Entry> readLocal(Path file, String model) {
        try {
            return Files.exists(file) ? parse(Files.readString(file, StandardCharsets.UTF_8), model) : List.of();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the migration log " + file + ": " + e.getMessage(), e);
        }
    }

    private static List<Entry> parse(String text, String model) {
        List<Entry> out = new ArrayList<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            Entry e;
            try {
                e = GSON.fromJson(line, Entry.class);
            } catch (RuntimeException notAnEntry) {
                continue; // a line someone edited by hand: the others still read
            }
            if (e != null && (model == null || model.equals(e.model()))) {
                out.add(e);
            }
        }
        return out;
    }
}
