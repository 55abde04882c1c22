package io.kvevents.internal.kube;

import io.kubernetes.client.util.KubeConfig;
import io.kvevents.sdk.KubeContext;
import java.io.IOException;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * A kubeconfig as kubectl reads it (client-go v0.34.1 tools/clientcmd: loader.go, client_config.go,
 * merged_client_builder.go; util/homedir), where client-java 25.0.0 reads it otherwise:
 * <ul>
 *   <li>the files: {@code --kubeconfig} alone, else every file of {@code $KUBECONFIG} (missing ones skipped), else
 *       {@code $HOME/.kube/config} — {@code $HOME} from the environment, not the JVM's {@code user.home};</li>
 *   <li>merged, the first file to name a cluster, user or context winning, and the first current-context set;</li>
 *   <li>every path relative to the file that names it (ResolveLocalPaths): a cluster's certificate-authority, a
 *       user's client-certificate, client-key and tokenFile, and an exec command that holds a path separator
 *       (one without is looked up on PATH);</li>
 *   <li>kubectl's flags over it ({@link KubeContext.Access}).</li>
 * </ul>
 * Token, token file and exec credentials are left out of the client-java config: {@link Credentials} supplies
 * them per request, as client-go does, and never over plain http.
 */
public final class Kubeconfig {
    private final List<Path> files;
    private final String contextName;
    private final Map<String, Object> cluster;
    private final Map<String, Object> user;
    private final String namespace;
    private final KubeContext.Access access;
    private final String userName;

    private Kubeconfig(List<Path> files, String contextName, Map<String, Object> cluster, Map<String, Object> user,
            String namespace, KubeContext.Access access, String userName) {
        this.userName = userName;
        this.files = files;
        this.contextName = contextName;
        this.cluster = cluster;
        this.user = user;
        this.namespace = namespace;
        this.access = access;
    }

    /** Where Kubernetes mounts a pod's service account (client-go rest.InClusterConfig). */
    public static final Path SERVICE_ACCOUNT = Path.of("/var/run/secrets/kubernetes.io/serviceaccount");

    /**
     * @param env the environment (HOME, KUBECONFIG)
     * @throws IllegalArgumentException when no kubeconfig can be read, or the context, cluster or user is not in it
     */
    public static Kubeconfig load(KubeContext context, Map<String, String> env) {
        return load(context, env, SERVICE_ACCOUNT);
    }

    /**
     * As {@link #load(KubeContext, Map)}, and inside a pod with no kubeconfig, the pod's service account mounted at
     * {@code serviceAccount}, as kubectl falls back to it (client-go 32ce75a7d6bc tools/clientcmd
     * merged_client_builder.go: in-cluster when {@code KUBERNETES_SERVICE_HOST} and {@code KUBERNETES_SERVICE_PORT}
     * are set and the token file exists; client_config.go inClusterClientConfig: the namespace from
     * {@code POD_NAMESPACE}, else the mounted {@code namespace} file, else {@code default}).
     */
    @SuppressWarnings("unchecked")
    public static Kubeconfig load(KubeContext context, Map<String, String> env, Path serviceAccount) {
        List<Path> files;
        try {
            files = files(context, env);
        } catch (IllegalArgumentException noKubeconfig) {
            if (context.kubeconfig().isEmpty() && inClusterPossible(env, serviceAccount)) {
                return inCluster(context, env, serviceAccount);
            }
            throw noKubeconfig;
        }
        Map<String, Map<String, Object>> contexts = new LinkedHashMap<>();
        Map<String, Map<String, Object>> clusters = new LinkedHashMap<>();
        Map<String, Map<String, Object>> users = new LinkedHashMap<>();
        String current = null;
        for (Path file : files) {
            Object doc;
            try (Reader reader = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
                doc = new Yaml(new SafeConstructor(new LoaderOptions())).load(reader);
            } catch (IOException e) {
                throw new IllegalArgumentException("cannot read kubeconfig " + file + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new IllegalArgumentException("kubeconfig " + file + " is not YAML: "
                        + String.valueOf(e.getMessage()).lines().findFirst().orElse(""), e);
            }
            if (!(doc instanceof Map<?, ?> map)) {
                continue;
            }
            Path dir = file.getParent();
            collect(map.get("contexts"), "context", contexts, null);
            collect(map.get("clusters"), "cluster", clusters, c -> resolve(c, dir, "certificate-authority"));
            collect(map.get("users"), "user", users, u -> {
                resolve(u, dir, "client-certificate");
                resolve(u, dir, "client-key");
                resolve(u, dir, "tokenFile");
                if (u.get("exec") instanceof Map<?, ?> exec && exec.get("command") instanceof String cmd
                        && (cmd.contains("/") || cmd.contains("\\"))) {
                    ((Map<String, Object>) exec).put("command", dir.resolve(cmd).normalize().toString());
                }
            });
            if (current == null && map.get("current-context") instanceof String c && !c.isBlank()) {
                current = c;
            }
        }
        String name = context.context() != null ? context.context() : current;
        if (name == null) {
            throw new IllegalArgumentException("no current context in " + files + ": give --context NAME");
        }
        Map<String, Object> ctx = contexts.get(name);
        if (ctx == null) {
            throw new IllegalArgumentException("context " + name + " is not in " + files);
        }
        KubeContext.Access access = context.access();
        String clusterName = access.cluster() != null ? access.cluster() : (String) ctx.get("cluster");
        String userName = access.user() != null ? access.user() : (String) ctx.get("user");
        Map<String, Object> cluster = clusters.get(clusterName);
        if (cluster == null && access.server() == null) {
            throw new IllegalArgumentException("cluster " + clusterName + " (context " + name + ") is not in " + files);
        }
        cluster = cluster == null ? new LinkedHashMap<>() : new LinkedHashMap<>(cluster);
        Map<String, Object> user = userName == null || users.get(userName) == null ? new LinkedHashMap<>()
                : new LinkedHashMap<>(users.get(userName));
        if (userName != null && access.user() != null && users.get(userName) == null) {
            throw new IllegalArgumentException("user " + userName + " is not in " + files);
        }
        override(cluster, user, access);
        String ns = context.namespace() != null ? context.namespace()
                : ctx.get("namespace") instanceof String n && !n.isBlank() ? n : "default";
        return new Kubeconfig(files, name, cluster, user, ns, access, userName);
    }

    private static boolean inClusterPossible(Map<String, String> env, Path serviceAccount) {
        return set(env.get("KUBERNETES_SERVICE_HOST")) && set(env.get("KUBERNETES_SERVICE_PORT"))
                && Files.isRegularFile(serviceAccount.resolve("token"));
    }

    private static boolean set(String value) {
        return value != null && !value.isEmpty();
    }

    private static Kubeconfig inCluster(KubeContext context, Map<String, String> env, Path serviceAccount) {
        String host = env.get("KUBERNETES_SERVICE_HOST");
        Map<String, Object> cluster = new LinkedHashMap<>();
        cluster.put("server", "https://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + env.get("KUBERNETES_SERVICE_PORT"));
        Path ca = serviceAccount.resolve("ca.crt");
        if (Files.isRegularFile(ca)) {
            cluster.put("certificate-authority", ca.toString());
        }
        Map<String, Object> user = new LinkedHashMap<>();
        user.put("tokenFile", serviceAccount.resolve("token").toString());
        override(cluster, user, context.access());
        String ns = context.namespace();
        if (ns == null) {
            ns = set(env.get("POD_NAMESPACE")) ? env.get("POD_NAMESPACE") : null;
        }
        if (ns == null) {
            try {
                String mounted = Files.readString(serviceAccount.resolve("namespace"), StandardCharsets.UTF_8).strip();
                ns = mounted.isEmpty() ? null : mounted;
            } catch (IOException none) {
                // no namespace file: the default namespace, as client-go
            }
        }
        return new Kubeconfig(List.of(), "in-cluster (" + serviceAccount + ")", cluster, user, ns == null ? "default" : ns,
                context.access(), null);
    }

    /** kubectl's flags over the kubeconfig (client-go clientcmd overrides). */
    private static void override(Map<String, Object> cluster, Map<String, Object> user, KubeContext.Access a) {
        if (a.insecureSkipTlsVerify() && a.certificateAuthority() != null) {
            throw new IllegalArgumentException("--insecure-skip-tls-verify and --certificate-authority contradict each"
                    + " other: give one (kubectl refuses both too)");
        }
        if (a.server() != null) {
            cluster.put("server", a.server());
            cluster.remove("tls-server-name");
        }
        if (a.insecureSkipTlsVerify()) {
            cluster.put("insecure-skip-tls-verify", true);
            cluster.remove("certificate-authority");
            cluster.remove("certificate-authority-data");
        }
        if (a.certificateAuthority() != null) {
            cluster.put("certificate-authority", a.certificateAuthority().toAbsolutePath().toString());
            cluster.remove("certificate-authority-data");
            cluster.remove("insecure-skip-tls-verify");
        }
        if (a.token() != null) {
            user.put("token", a.token());
            user.remove("tokenFile");
            user.remove("exec");
        }
    }

    private interface Fix {
        void apply(Map<String, Object> stanza);
    }

    /** Named stanzas of one section, the first of each name kept, each fixed up against its file. */
    @SuppressWarnings("unchecked")
    private static void collect(Object section, String field, Map<String, Map<String, Object>> into, Fix fix) {
        if (!(section instanceof List<?> entries)) {
            return;
        }
        for (Object e : entries) {
            if (e instanceof Map<?, ?> named && named.get("name") != null && named.get(field) instanceof Map<?, ?> body
                    && !into.containsKey(String.valueOf(named.get("name")))) {
                Map<String, Object> copy = (Map<String, Object>) JsonTree.copy(body);
                if (fix != null) {
                    fix.apply(copy);
                }
                into.put(String.valueOf(named.get("name")), copy);
            }
        }
    }

    private static void resolve(Map<String, Object> stanza, Path dir, String key) {
        if (stanza.get(key) instanceof String p && !p.isBlank() && !Path.of(p).isAbsolute()) {
            stanza.put(key, dir.resolve(p).normalize().toString());
        }
    }

    /** The kubeconfig files kubectl reads: --kubeconfig, else every file of $KUBECONFIG, else $HOME/.kube/config. */
    static List<Path> files(KubeContext context, Map<String, String> env) {
        if (!context.kubeconfig().isEmpty()) {
            List<Path> missing = context.kubeconfig().stream().filter(p -> !Files.isReadable(p)).toList();
            if (missing.size() == context.kubeconfig().size()) {
                throw new IllegalArgumentException("no kubeconfig: tried " + context.kubeconfig()
                        + "; give --kubeconfig FILE (or set KUBECONFIG)");
            }
            if (!missing.isEmpty()) {
                throw new IllegalArgumentException("kubeconfig " + missing + " does not exist");
            }
            return context.kubeconfig().stream().map(p -> p.toAbsolutePath().normalize()).toList();
        }
        Set<Path> candidates = new LinkedHashSet<>();
        String list = env.get("KUBECONFIG");
        if (list != null && !list.isBlank()) {
            for (String p : list.split(java.io.File.pathSeparator)) {
                if (!p.isBlank()) {
                    candidates.add(Path.of(p).toAbsolutePath().normalize());
                }
            }
        } else {
            String home = env.get("HOME");
            candidates.add(Path.of(home != null && !home.isBlank() ? home : System.getProperty("user.home"), ".kube",
                    "config").toAbsolutePath());
        }
        List<Path> readable = candidates.stream().filter(Files::isReadable).toList();
        if (readable.isEmpty()) {
            throw new IllegalArgumentException("no kubeconfig: tried " + List.copyOf(candidates)
                    + "; give --kubeconfig FILE (or set KUBECONFIG)");
        }
        return readable;
    }

    public List<Path> files() {
        return files;
    }

    /** Where this configuration came from, for messages: the files, or the pod's service account. */
    public String source() {
        return files.isEmpty() ? contextName : files.toString();
    }

    public String namespace() {
        return namespace;
    }

    /** The API server's URL, as the cluster (or --server) names it. */
    public String server() {
        Object s = cluster.get("server");
        if (!(s instanceof String server) || server.isBlank()) {
            throw new IllegalArgumentException("cluster of context " + contextName + " names no server in " + source());
        }
        return server.contains("://") ? server : "https://" + server;
    }

    /** True for an https server: only then are credentials sent (client-go IsConfigTransportTLS). */
    public boolean secure() {
        return URI.create(server()).getScheme().equalsIgnoreCase("https");
    }

    /** The cluster's {@code proxy-url}, or null. */
    public String proxyUrl() {
        return cluster.get("proxy-url") instanceof String p && !p.isBlank() ? p : null;
    }

    public KubeContext.Access access() {
        return access;
    }

    /**
     * Who acts, for the migration log: the kubeconfig user's name ({@code --user} or the context's), with the
     * identity impersonated by {@code --as}; {@code unknown} when the context names no user.
     */
    public String who() {
        String name = userName == null ? "unknown" : userName;
        return access.as() == null ? name : name + " as " + access.as();
    }

    /** The user's bearer-token sources (token, tokenFile, exec): what {@link Credentials} needs. */
    public Map<String, Object> user() {
        return user;
    }

    /**
     * The config client-java builds its client from: this context, cluster and user with every path absolute,
     * without the token sources {@link Credentials} supplies, and without any credential on plain http.
     */
    public KubeConfig clientConfig() {
        Map<String, Object> u = new LinkedHashMap<>(user);
        u.remove("token");
        u.remove("tokenFile");
        u.remove("exec");
        if (!secure()) {
            u.clear();
        }
        Map<String, Object> c = new LinkedHashMap<>(cluster);
        c.put("server", server());
        c.remove("proxy-url"); // the proxy is set on the HTTP client (client-java ignores it)
        if (!secure()) {
            c.remove("certificate-authority"); // TLS settings mean nothing to plain http: never read
            c.remove("certificate-authority-data");
        }
        KubeConfig config = new KubeConfig(
                new ArrayList<>(List.of(Map.of("name", "kvevents", "context", Map.of("cluster", "c", "user", "u",
                        "namespace", namespace)))),
                new ArrayList<>(List.of(Map.of("name", "c", "cluster", c))),
                new ArrayList<>(List.of(Map.of("name", "u", "user", u))));
        config.setContext("kvevents");
        return config;
    }
}
