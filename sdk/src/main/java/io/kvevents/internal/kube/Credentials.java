package io.kvevents.internal.kube;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.kvevents.sdk.KubeContext;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;

/**
 * The credentials and identity every request carries, as client-go attaches them (v0.34.1
 * transport/round_trippers.go, token_source.go, plugin/pkg/client/auth/exec/exec.go):
 * <ul>
 *   <li>a {@code tokenFile} re-read at most once a minute, whitespace trimmed (a file written by {@code echo}
 *       ends in a newline) — client-java reads it once, untrimmed, and OkHttp refuses the header;</li>
 *   <li>an exec plugin run when a request needs a token, its token kept until its {@code expirationTimestamp},
 *       run again after that or when the server answers 401 (the request is then sent once more) — client-java
 *       runs it once, so a long {@code tail} outlived a 15-minute EKS token;</li>
 *   <li>{@code --as}, {@code --as-group}, {@code --as-uid} as Impersonate-* headers;</li>
 *   <li>nothing on plain http, neither credentials nor impersonation: client-go reads none of them for a server
 *       that is not https.</li>
 * </ul>
 */
public final class Credentials implements Interceptor {
    private static final Duration TOKEN_FILE_PERIOD = Duration.ofMinutes(1);

    private final TokenSource source;
    private final KubeContext.Access access;
    private final boolean secure;

    private Credentials(TokenSource source, KubeContext.Access access, boolean secure) {
        this.source = source;
        this.access = access;
        this.secure = secure;
    }

    /** The interceptor for a loaded kubeconfig. */
    public static Credentials of(Kubeconfig k, Map<String, String> env, Clock clock) {
        TokenSource source = null;
        if (k.secure()) {
            Map<String, Object> user = k.user();
            if (user.get("token") instanceof String t && !t.isBlank()) {
                source = new Fixed(t.strip());
            } else if (user.get("tokenFile") instanceof String f && !f.isBlank()) {
                source = new TokenFile(Path.of(f), clock);
            } else if (user.get("exec") instanceof Map<?, ?> exec) {
                source = new Exec(exec, k.server(), env, clock);
            }
        }
        return new Credentials(source, k.access(), k.secure());
    }

    @Override
    public Response intercept(Chain chain) throws IOException {
        Request request = chain.request();
        if (!secure) {
            return chain.proceed(request); // client-go sends no identity to a server that is not https
        }
        Request.Builder b = request.newBuilder();
        if (access.as() != null) {
            b.header("Impersonate-User", access.as());
        }
        for (String group : access.asGroups()) {
            b.addHeader("Impersonate-Group", group);
        }
        if (access.asUid() != null) {
            b.header("Impersonate-Uid", access.asUid());
        }
        if (source == null) {
            return chain.proceed(b.build());
        }
        String token = source.token();
        Response response = chain.proceed(b.header("Authorization", "Bearer " + token).build());
        if (response.code() == 401 && source.refresh(token)) {
            response.close(); // the token was revoked or expired early: fetch another, ask once more
            return chain.proceed(b.header("Authorization", "Bearer " + source.token()).build());
        }
        return response;
    }

    /** Where bearer tokens come from. */
    interface TokenSource {
        String token() throws IOException;

        /** Forgets {@code used} when the source can give another; true when it did. */
        boolean refresh(String used);
    }

    private record Fixed(String value) implements TokenSource {
        @Override
        public String token() {
            return value;
        }

        @Override
        public boolean refresh(String used) {
            return false;
        }
    }

    /** client-go's cachingTokenSource over a file: trimmed, re-read when a minute has passed, the last good kept. */
    private static final class TokenFile implements TokenSource {
        private final Path file;
        private final Clock clock;
        private String token;
        private Instant readAt = Instant.MIN;

        TokenFile(Path file, Clock clock) {
            this.file = file;
            this.clock = clock;
        }

        @Override
        public synchronized String token() throws IOException {
            Instant now = clock.instant();
            if (token == null || !now.isBefore(readAt.plus(TOKEN_FILE_PERIOD))) {
                try {
                    String read = Files.readString(file, StandardCharsets.UTF_8).strip();
                    if (read.isEmpty()) {
                        throw new IOException("read an empty token from " + file);
                    }
                    token = read;
                    readAt = now;
                } catch (IOException e) {
                    if (token == null) {
                        throw new IOException("cannot read the kubeconfig's tokenFile " + file + ": " + e.getMessage(), e);
                    }
                    // client-go keeps the last token it read when the file cannot be read again
                }
            }
            return token;
        }

        @Override
        public synchronized boolean refresh(String used) {
            readAt = Instant.MIN;
            return true;
        }
    }

    /**
     * A command without a path separator as Go's exec.LookPath finds it: on the PATH of the environment the plugin
     * runs in (Java's ProcessBuilder would search the JVM's own PATH).
     */
    static String onPath(String command, Map<String, String> env) {
        if (command.contains("/") || command.contains("\\")) {
            return command;
        }
        String path = env.get("PATH");
        if (path != null) {
            for (String dir : path.split(java.io.File.pathSeparator)) {
                Path candidate = Path.of(dir.isEmpty() ? "." : dir, command);
                if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
                    return candidate.toString();
                }
            }
        }
        return command;
    }

    /** An exec credential plugin (client.authentication.k8s.io ExecCredential), run when its token is due. */
    private static final class Exec implements TokenSource {
        private final Map<?, ?> exec;
        private final String server;
        private final Map<String, String> env;
        private final Clock clock;
        private String token;
        private Instant expires;

        Exec(Map<?, ?> exec, String server, Map<String, String> env, Clock clock) {
            this.exec = exec;
            this.server = server;
            this.env = env;
            this.clock = clock;
        }

        @Override
        public synchronized String token() throws IOException {
            if (token == null || expires != null && !clock.instant().isBefore(expires)) {
                run();
            }
            return token;
        }

        @Override
        public synchronized boolean refresh(String used) {
            if (used.equals(token)) {
                token = null; // not rotated meanwhile by another request: run the plugin again
            }
            return true;
        }

        private void run() throws IOException {
            String command = String.valueOf(exec.get("command"));
            List<String> argv = new ArrayList<>();
            argv.add(onPath(command, env));
            if (exec.get("args") instanceof List<?> args) {
                args.forEach(a -> argv.add(String.valueOf(a)));
            }
            String apiVersion = exec.get("apiVersion") instanceof String v ? v : "client.authentication.k8s.io/v1";
            ProcessBuilder pb = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
            pb.environment().clear();
            pb.environment().putAll(env);
            if (exec.get("env") instanceof List<?> vars) {
                for (Object v : vars) {
                    if (v instanceof Map<?, ?> m && m.get("name") != null) {
                        pb.environment().put(String.valueOf(m.get("name")), String.valueOf(m.get("value")));
                    }
                }
            }
            JsonObject info = new JsonObject();
            info.addProperty("apiVersion", apiVersion);
            info.addProperty("kind", "ExecCredential");
            JsonObject spec = new JsonObject();
            spec.addProperty("interactive", false);
            if (Boolean.TRUE.equals(exec.get("provideClusterInfo"))) {
                JsonObject cluster = new JsonObject();
                cluster.addProperty("server", server);
                spec.add("cluster", cluster);
            }
            info.add("spec", spec);
            pb.environment().put("KUBERNETES_EXEC_INFO", info.toString());
            java.io.File out = java.io.File.createTempFile("kvevents-exec", ".out");
            java.io.File errFile = java.io.File.createTempFile("kvevents-exec", ".err");
            String stdout;
            String err;
            Process p;
            try {
                // files, not pipes: a plugin that writes much to stderr cannot block, and the deadline holds even when
                // it never closes its output (a login waiting for a browser)
                pb.redirectOutput(out).redirectError(errFile);
                try {
                    p = pb.start();
                } catch (IOException e) {
                    throw new IOException("cannot run the kubeconfig's exec plugin " + command + ": " + e.getMessage()
                            + " (is it installed and on PATH?)", e);
                }
                try {
                    if (!p.waitFor(60, TimeUnit.SECONDS)) {
                        p.destroyForcibly();
                        throw new IOException("the kubeconfig's exec plugin " + command + " ran for more than 60 s");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    p.destroyForcibly();
                    throw new IOException("interrupted while the exec plugin " + command + " ran", e);
                }
                stdout = Files.readString(out.toPath(), StandardCharsets.UTF_8);
                err = Files.readString(errFile.toPath(), StandardCharsets.UTF_8);
            } finally {
                Files.deleteIfExists(out.toPath());
                Files.deleteIfExists(errFile.toPath());
            }
            if (p.exitValue() != 0) {
                String last = err.strip().lines().reduce((a, b) -> b).orElse("");
                throw new IOException("the kubeconfig's exec plugin " + command + " failed (exit " + p.exitValue() + ")"
                        + (last.isEmpty() ? "" : ": " + last));
            }
            JsonObject status;
            try {
                status = JsonParser.parseString(stdout).getAsJsonObject().getAsJsonObject("status");
            } catch (RuntimeException e) {
                throw new IOException("the kubeconfig's exec plugin " + command + " printed no ExecCredential JSON", e);
            }
            if (status == null || !status.has("token") || status.get("token").getAsString().isBlank()) {
                throw new IOException("the kubeconfig's exec plugin " + command + " gave no status.token (client"
                        + " certificates from exec plugins are not supported)");
            }
            token = status.get("token").getAsString().strip();
            expires = status.has("expirationTimestamp") && !status.get("expirationTimestamp").isJsonNull()
                    ? Instant.parse(status.get("expirationTimestamp").getAsString()) : null;
        }
    }
}
