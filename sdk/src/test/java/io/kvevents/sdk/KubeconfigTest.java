package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;
import io.kvevents.internal.kube.KubeApi;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14: kubeconfigs as kubectl reads them. An HTTPS API server with a self-signed CA (made by openssl) records
 * the headers each request carries; the same kubeconfig files are given to the real kubectl ({@code kubectl get
 * --raw}) and to us, and both must reach the server with the same credentials. Upstream: client-go v0.34.1
 * tools/clientcmd (loader.go ResolveLocalPaths, client_config.go), transport (token_source.go cachingTokenSource,
 * round_trippers.go), plugin/pkg/client/auth/exec; util/homedir; golang.org/x/net/http/httpproxy.
 */
class KubeconfigTest {
    private static final String PODS = "/api/v1/namespaces/default/pods";

    @TempDir
    static Path certs;

    private static HttpsServer server;
    private static String url;
    private static final List<Map<String, List<String>>> seen = new CopyOnWriteArrayList<>();
    /** A token the server refuses with 401 (an exec token revoked before its expiry). */
    private static volatile String refused;

    @TempDir
    Path dir;

    @BeforeAll
    static void start() throws Exception {
        Assumptions.assumeTrue(run(certs, List.of("openssl", "version")) == 0, "openssl is not installed");
        String subj = "/CN=kvevents-test-ca";
        exec(List.of("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt",
                "-days", "2", "-subj", subj));
        Files.writeString(certs.resolve("san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:api.kvevents.test\n");
        exec(List.of("openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
                "-subj", "/CN=127.0.0.1"));
        exec(List.of("openssl", "x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
                "-CAcreateserial", "-out", "server.crt", "-days", "2", "-extfile", "san.ext"));
        exec(List.of("openssl", "pkcs12", "-export", "-in", "server.crt", "-inkey", "server.key", "-out", "server.p12",
                "-passout", "pass:secret"));
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(certs.resolve("server.p12"))) {
            ks.load(in, "secret".toCharArray());
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, "secret".toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(kmf.getKeyManagers(), null, null);
        server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setHttpsConfigurator(new HttpsConfigurator(ssl));
        server.createContext("/", exchange -> {
            Map<String, List<String>> headers = new HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), List.copyOf(v)));
            seen.add(headers);
            String auth = exchange.getRequestHeaders().getFirst("Authorization");
            boolean deny = refused != null && ("Bearer " + refused).equals(auth);
            byte[] body = (deny ? "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\",\"code\":401}"
                    : "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"metadata\":{},\"items\":[]}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(deny ? 401 : 200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        url = "https://127.0.0.1:" + server.getAddress().getPort();
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    private static void exec(List<String> argv) throws Exception {
        assertEquals(0, run(certs, argv), String.join(" ", argv));
    }

    private static int run(Path cwd, List<String> argv) {
        try {
            Process p = new ProcessBuilder(argv).directory(cwd.toFile()).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(60, TimeUnit.SECONDS) ? p.exitValue() : -1;
        } catch (IOException | InterruptedException e) {
            return -1;
        }
    }

    /** A kubeconfig whose cluster is the test server (CA path as given) and whose user is {@code userYaml}. */
    private static String kubeconfig(String ca, String userYaml, String clusterExtra) {
        return "apiVersion: v1\nkind: Config\ncurrent-context: test\nclusters:\n- name: test\n  cluster:\n    server: " + url
                + "\n    certificate-authority: " + ca + "\n" + clusterExtra + "contexts:\n- name: test\n  context:\n"
                + "    cluster: test\n    user: me\n    namespace: default\nusers:\n- name: me\n  user:\n" + userYaml;
    }

    /** The headers of the one request our client makes with this environment. */
    private Map<String, List<String>> ours(KubeContext context, Map<String, String> env) {
        seen.clear();
        KubeApi.connect(context, Duration.ofSeconds(20), env).pods("default", "app=x");
        assertTrue(!seen.isEmpty(), "the request reached the server");
        return seen.get(seen.size() - 1);
    }

    /** The headers of kubectl get --raw with this environment (null: kubectl is not installed). */
    private Map<String, List<String>> kubectls(List<String> args, Map<String, String> env) throws Exception {
        if (!KubectlPatchCheck.available()) {
            return null;
        }
        seen.clear();
        List<String> argv = new ArrayList<>(List.of("kubectl", "get", "--raw", PODS));
        argv.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(argv).directory(dir.toFile()).redirectErrorStream(true);
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.environment().putIfAbsent("PATH", System.getenv("PATH"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "kubectl: " + out);
        return seen.get(seen.size() - 1);
    }

    private static String auth(Map<String, List<String>> headers) {
        List<String> v = headers.get("authorization");
        return v == null ? null : v.get(0);
    }

    private Map<String, String> env(String... kv) {
        Map<String, String> env = new HashMap<>();
        env.put("HOME", dir.toString());
        env.put("PATH", System.getenv("PATH"));
        for (int i = 0; i < kv.length; i += 2) {
            env.put(kv[i], kv[i + 1]);
        }
        return env;
    }

    /**
     * Inside a pod, with no kubeconfig, the pod's service account, as kubectl falls back to it (client-go 32ce75a7d6bc
     * tools/clientcmd merged_client_builder.go and client_config.go inClusterClientConfig; rest.InClusterConfig): the
     * server from KUBERNETES_SERVICE_HOST and _PORT, the mounted CA and token, the namespace from -n, else
     * POD_NAMESPACE, else the mounted namespace file.
     */
    @Test
    void insideAPodWithNoKubeconfigTheServiceAccountIsUsed() throws Exception {
        Path account = Files.createDirectories(dir.resolve("serviceaccount"));
        Files.writeString(account.resolve("token"), "sa-token");
        Files.copy(certs.resolve("ca.crt"), account.resolve("ca.crt"));
        Files.writeString(account.resolve("namespace"), "ml");
        Map<String, String> env = env("KUBERNETES_SERVICE_HOST", "127.0.0.1",
                "KUBERNETES_SERVICE_PORT", String.valueOf(java.net.URI.create(url).getPort()));
        KubeContext none = new KubeContext(List.of(), null, null, false);
        seen.clear();
        KubeApi api = KubeApi.connect(none, Duration.ofSeconds(20), env, account);
        assertEquals("ml", api.namespace());
        api.pods("default", "app=x");
        assertEquals("Bearer sa-token", auth(seen.get(seen.size() - 1)));
        env.put("POD_NAMESPACE", "serving");
        assertEquals("serving", KubeApi.connect(none, Duration.ofSeconds(20), env, account).namespace());
        assertEquals("mine", KubeApi.connect(new KubeContext(List.of(), null, "mine", false),
                Duration.ofSeconds(20), env, account).namespace());
        Files.delete(account.resolve("token"));
        IllegalArgumentException outside = assertThrows(IllegalArgumentException.class,
                () -> KubeApi.connect(none, Duration.ofSeconds(20), env, account));
        assertTrue(outside.getMessage().startsWith("no kubeconfig: tried"), outside.getMessage());
    }

    @Test
    void aTokenFileEndingInANewlineIsTrimmedAndRelativeToTheFileThatNamesIt() throws Exception {
        Path sub = Files.createDirectories(dir.resolve("conf"));
        Files.writeString(sub.resolve("token"), "s3cr3t\n"); // as `echo s3cr3t > token` writes it
        Files.copy(certs.resolve("ca.crt"), sub.resolve("ca.crt"));
        Path file = sub.resolve("config");
        Files.writeString(file, kubeconfig("ca.crt", "    tokenFile: token\n", ""));
        assertEquals("Bearer s3cr3t", auth(ours(new KubeContext(List.of(file), null, null, false), env())));
        var kubectl = kubectls(List.of("--kubeconfig", file.toString()), env());
        if (kubectl != null) {
            assertEquals("Bearer s3cr3t", auth(kubectl));
        }
    }

    @Test
    void anExecPluginRelativeToTheSecondKubeconfigRunsThereAndAgainWhenItsTokenExpires() throws Exception {
        Path first = dir.resolve("a");
        Path second = Files.createDirectories(dir.resolve("b"));
        Files.createDirectories(first);
        Files.writeString(first.resolve("config"), "apiVersion: v1\nkind: Config\npreferences: {}\n");
        Path bin = Files.createDirectories(second.resolve("bin"));
        Path counter = dir.resolve("runs");
        Files.writeString(bin.resolve("cred.sh"), "#!/bin/sh\necho run >> " + counter + "\n"
                + "n=$(wc -l < " + counter + ")\n"
                + "case \"$KUBERNETES_EXEC_INFO\" in *ExecCredential*) ;; *) echo no exec info >&2; exit 3;; esac\n"
                + "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                + "\"status\":{\"token\":\"exec-'$n'\",\"expirationTimestamp\":\"" + Instant.now().minusSeconds(1)
                + "\"}}'\n");
        assertTrue(bin.resolve("cred.sh").toFile().setExecutable(true));
        Files.copy(certs.resolve("ca.crt"), second.resolve("ca.crt"));
        Files.writeString(second.resolve("config"), kubeconfig("ca.crt", "    exec:\n      apiVersion:"
                + " client.authentication.k8s.io/v1\n      command: ./bin/cred.sh\n      interactiveMode: Never\n", ""));
        String list = first.resolve("config") + java.io.File.pathSeparator + second.resolve("config");
        KubeApi api = KubeApi.connect(KubeContext.defaults(), Duration.ofSeconds(20), env("KUBECONFIG", list));
        seen.clear();
        api.pods("default", "app=x");
        api.pods("default", "app=x");
        assertEquals(List.of("Bearer exec-1", "Bearer exec-2"), seen.stream().map(KubeconfigTest::auth).toList(),
                "an expired token is fetched again, per request");
        var kubectl = kubectls(List.of(), env("KUBECONFIG", list));
        if (kubectl != null) {
            assertTrue(auth(kubectl).startsWith("Bearer exec-"), auth(kubectl));
        }
    }

    @Test
    void anExecTokenTheServerRefusesIsFetchedAgainAndTheRequestRepeatedOnce() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Path counter = dir.resolve("runs");
        Files.writeString(bin.resolve("cred"), "#!/bin/sh\necho run >> " + counter + "\nn=$(wc -l < " + counter + ")\n"
                + "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                + "\"status\":{\"token\":\"t-'$n'\",\"expirationTimestamp\":\"2999-01-01T00:00:00Z\"}}'\n");
        assertTrue(bin.resolve("cred").toFile().setExecutable(true));
        Path file = dir.resolve("config");
        Files.writeString(file, kubeconfig(certs.resolve("ca.crt").toString(), "    exec:\n      apiVersion:"
                + " client.authentication.k8s.io/v1\n      command: cred\n      interactiveMode: Never\n", ""));
        Map<String, String> env = env("PATH", bin + java.io.File.pathSeparator + System.getenv("PATH"));
        refused = "t-1";
        try {
            KubeApi api = KubeApi.connect(new KubeContext(List.of(file), null, null, false), Duration.ofSeconds(20), env);
            seen.clear();
            api.pods("default", "app=x");
            assertEquals(List.of("Bearer t-1", "Bearer t-2"), seen.stream().map(KubeconfigTest::auth).toList());
            api.pods("default", "app=x");
            assertEquals("Bearer t-2", auth(seen.get(seen.size() - 1)), "kept until it expires");
        } finally {
            refused = null;
        }
    }

    /**
     * Review finding: an exec plugin that writes more to stderr than a pipe holds before its token (a chatty login
     * helper) hung the command, stdout being read to its end first; now its output goes to files.
     */
    @Test
    void anExecPluginThatWritesMuchToStderrDoesNotHang() throws Exception {
        Path bin = Files.createDirectories(dir.resolve("bin"));
        Files.writeString(bin.resolve("chatty"), "#!/bin/sh\nhead -c 300000 /dev/zero | tr '\\0' x >&2\n"
                + "echo '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
                + "\"status\":{\"token\":\"chatty-token\"}}'\n");
        assertTrue(bin.resolve("chatty").toFile().setExecutable(true));
        Path file = dir.resolve("config");
        Files.writeString(file, kubeconfig(certs.resolve("ca.crt").toString(), "    exec:\n      apiVersion:"
                + " client.authentication.k8s.io/v1\n      command: " + bin.resolve("chatty") + "\n", ""));
        Map<String, List<String>> h = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> ours(new KubeContext(List.of(file), null, null, false), env()));
        assertEquals("Bearer chatty-token", auth(h));
    }

    @Test
    void homeIsTheEnvironmentsAndFlagsOverrideTheKubeconfig() throws Exception {
        Path kube = Files.createDirectories(dir.resolve(".kube"));
        Files.writeString(kube.resolve("config"), kubeconfig(certs.resolve("ca.crt").toString(), "    token: from-file\n", ""));
        assertEquals("Bearer from-file", auth(ours(KubeContext.defaults(), env())));
        KubeContext.Access flags = new KubeContext.Access(null, "from-flag", null, null, "jane", List.of("ops", "dev"),
                "u-1", false, null, null);
        Map<String, List<String>> h = ours(new KubeContext(List.of(), null, null, false, flags), env());
        assertEquals("Bearer from-flag", auth(h));
        assertEquals(List.of("jane"), h.get("impersonate-user"));
        assertEquals(List.of("ops", "dev"), h.get("impersonate-group"));
        assertEquals(List.of("u-1"), h.get("impersonate-uid"));
        var kubectl = kubectls(List.of("--token", "from-flag", "--as", "jane", "--as-group", "ops", "--as-group", "dev",
                "--as-uid", "u-1"), env());
        if (kubectl != null) {
            assertEquals(auth(h), auth(kubectl));
            for (String name : List.of("impersonate-user", "impersonate-group", "impersonate-uid")) {
                assertEquals(kubectl.get(name), h.get(name), name);
            }
        }
    }

    @Test
    void aProxyUrlOrHttpsProxyIsUsedUnlessNoProxyExcludesTheServer() throws Exception {
        try (ConnectProxy proxy = new ConnectProxy()) {
            Path file = dir.resolve("config");
            Files.writeString(file, kubeconfig(certs.resolve("ca.crt").toString(), "    token: t\n",
                    "    proxy-url: http://127.0.0.1:" + proxy.port() + "\n"));
            KubeContext context = new KubeContext(List.of(file), null, null, false);
            assertEquals("Bearer t", auth(ours(context, env())));
            assertEquals(1, proxy.connects.size(), "through the cluster's proxy-url: " + proxy.connects);
            // The environment's proxy applies to a server that is not loopback: name the server by a host alias
            // that only the proxy resolves, so only a proxied request can reach it.
            Path viaEnv = dir.resolve("config-env");
            Files.writeString(viaEnv, kubeconfig(certs.resolve("ca.crt").toString(), "    token: t\n", "")
                    .replace("https://127.0.0.1:", "https://api.kvevents.test:"));
            KubeContext byName = new KubeContext(List.of(viaEnv), null, null, false);
            proxy.connects.clear();
            ours(byName, env("HTTPS_PROXY", "127.0.0.1:" + proxy.port()));
            assertEquals(1, proxy.connects.size(), proxy.connects.toString());
            assertTrue(proxy.connects.get(0).startsWith("api.kvevents.test:"), proxy.connects.toString());
        }
    }

    @Test
    void noProxyMatchesAsHttpproxyDoes() {
        assertTrue(io.kvevents.internal.kube.Proxies.choose("https://api.corp.example:6443", null,
                Map.of("HTTPS_PROXY", "proxy:3128", "NO_PROXY", "corp.example")).proxy().type() == java.net.Proxy.Type.DIRECT);
        assertTrue(io.kvevents.internal.kube.Proxies.choose("https://api.corp.example:6443", null,
                Map.of("HTTPS_PROXY", "proxy:3128", "NO_PROXY", ".example.org,10.0.0.0/8")).proxy().type()
                == java.net.Proxy.Type.HTTP);
        assertTrue(io.kvevents.internal.kube.Proxies.choose("https://10.1.2.3:6443", null,
                Map.of("https_proxy", "proxy:3128", "no_proxy", "10.0.0.0/8")).proxy().type() == java.net.Proxy.Type.DIRECT);
        assertTrue(io.kvevents.internal.kube.Proxies.choose("https://127.0.0.1:6443", null,
                Map.of("HTTPS_PROXY", "proxy:3128")).proxy().type() == java.net.Proxy.Type.DIRECT, "loopback never");
        assertTrue(io.kvevents.internal.kube.Proxies.choose("http://api:80", null,
                Map.of("HTTPS_PROXY", "proxy:3128")).proxy().type() == java.net.Proxy.Type.DIRECT, "http uses HTTP_PROXY");
    }

    /** Review findings: what kubectl refuses or would send safely, we refuse too; passwords with '+' survive. */
    @Test
    void proxiesWeCannotSpeakSafelyAreRefusedAndCredentialsSurvive() throws IOException {
        IllegalArgumentException tls = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> io.kvevents.internal.kube.Proxies.choose("https://api:6443", "https://u:p@proxy:443", Map.of()));
        assertTrue(tls.getMessage().contains("https proxy"), tls.getMessage());
        IllegalArgumentException socks = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> io.kvevents.internal.kube.Proxies.choose("https://api:6443", "socks5://u:p@proxy:1080", Map.of()));
        assertTrue(socks.getMessage().contains("credentials") && !socks.getMessage().contains("u:p"), socks.getMessage());
        var plus = io.kvevents.internal.kube.Proxies.choose("https://api:6443", "http://user:a+b%21@proxy:3128", Map.of());
        assertEquals("Basic " + java.util.Base64.getEncoder().encodeToString("user:a+b!".getBytes(StandardCharsets.UTF_8)),
                plus.authorization());
        assertTrue(io.kvevents.internal.kube.Proxies.choose("https://[fd00::1]:6443", null,
                Map.of("HTTPS_PROXY", "proxy:3128", "NO_PROXY", "[fd00::1]:6443")).proxy().type() == java.net.Proxy.Type.DIRECT);
        KubeContext.Access both = new KubeContext.Access(null, null, null, null, null, List.of(), null, true,
                certs.resolve("ca.crt"), null);
        Path file = dir.resolve("config");
        Files.writeString(file, kubeconfig(certs.resolve("ca.crt").toString(), "    token: t\n", ""));
        IllegalArgumentException conflict = assertThrows(IllegalArgumentException.class,
                () -> io.kvevents.internal.kube.Kubeconfig.load(new KubeContext(List.of(file), null, null, false, both), env()));
        assertTrue(conflict.getMessage().contains("contradict"), conflict.getMessage());
    }

    @Test
    void noCredentialsGoOverPlainHttp() throws Exception {
        com.sun.net.httpserver.HttpServer plain = com.sun.net.httpserver.HttpServer.create(
                new InetSocketAddress("127.0.0.1", 0), 0);
        List<String> authorizations = new CopyOnWriteArrayList<>();
        plain.createContext("/", exchange -> {
            authorizations.add(String.valueOf(exchange.getRequestHeaders().getFirst("Authorization"))
                    + (exchange.getRequestHeaders().containsKey("Impersonate-User") ? " as someone" : ""));
            byte[] body = "{\"kind\":\"PodList\",\"apiVersion\":\"v1\",\"items\":[]}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        plain.start();
        try {
            Path file = dir.resolve("config");
            Files.writeString(file, kubeconfig("unused", "    token: secret\n", "")
                    .replace("    certificate-authority: unused\n", "")
                    .replace(url, "http://127.0.0.1:" + plain.getAddress().getPort()));
            KubeContext.Access as = new KubeContext.Access(null, null, null, null, "jane", List.of(), null, false, null, null);
            KubeApi.connect(new KubeContext(List.of(file), null, null, false, as), Duration.ofSeconds(20), env())
                    .pods("default", "app=x");
            assertEquals(List.of("null"), authorizations, "neither token nor impersonation over http");
            if (KubectlPatchCheck.available()) {
                ProcessBuilder pb = new ProcessBuilder("kubectl", "get", "--raw", PODS, "--kubeconfig", file.toString());
                pb.environment().put("HOME", dir.toString());
                Process p = pb.redirectErrorStream(true).start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertTrue(p.waitFor(60, TimeUnit.SECONDS));
                assertEquals(0, p.exitValue(), out);
                assertTrue(authorizations.size() > 1 && authorizations.stream().allMatch("null"::equals),
                        "kubectl sends none either: " + authorizations);
            }
        } finally {
            plain.stop(0);
        }
    }

    @Test
    void aBareRelativeKubeconfigWithAnExecUserLoads() throws Exception {
        Path file = Path.of("kvevents-test-kubeconfig.yaml");
        try {
            Files.writeString(file, kubeconfig(certs.resolve("ca.crt").toString(), "    exec:\n      apiVersion:"
                    + " client.authentication.k8s.io/v1\n      command: ./no-such-plugin\n", ""));
            KubeApi api = KubeApi.connect(KubeContext.defaults(), Duration.ofSeconds(20),
                    env("KUBECONFIG", file.toString()));
            RuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class,
                    () -> api.pods("default", "app=x"));
            assertTrue(String.valueOf(e.getMessage()).contains("no-such-plugin"), String.valueOf(e.getMessage()));
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** An HTTP CONNECT proxy that records each target and resolves {@code api.kvevents.test} to 127.0.0.1. */
    private static final class ConnectProxy implements AutoCloseable {
        final List<String> connects = new CopyOnWriteArrayList<>();
        private final ServerSocket socket = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        private final Thread acceptor;

        ConnectProxy() throws IOException {
            acceptor = new Thread(() -> {
                while (!socket.isClosed()) {
                    try {
                        Socket client = socket.accept();
                        new Thread(() -> tunnel(client)).start();
                    } catch (IOException closed) {
                        return;
                    }
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        private void tunnel(Socket client) {
            try (client) {
                InputStream in = client.getInputStream();
                StringBuilder head = new StringBuilder();
                while (!head.toString().endsWith("\r\n\r\n")) {
                    int c = in.read();
                    if (c < 0) {
                        return;
                    }
                    head.append((char) c);
                }
                String target = head.toString().split(" ")[1];
                connects.add(target);
                String host = target.substring(0, target.lastIndexOf(':')).replace("api.kvevents.test", "127.0.0.1");
                int port = Integer.parseInt(target.substring(target.lastIndexOf(':') + 1));
                try (Socket upstream = new Socket(host, port)) {
                    OutputStream out = client.getOutputStream();
                    out.write("HTTP/1.1 200 Connection established\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                    Thread back = new Thread(() -> pipe(upstream, client));
                    back.start();
                    pipe(client, upstream);
                    back.join(5_000);
                }
            } catch (IOException | InterruptedException ignored) {
                // the client went away
            }
        }

        private static void pipe(Socket from, Socket to) {
            try {
                from.getInputStream().transferTo(to.getOutputStream());
                to.shutdownOutput();
            } catch (IOException ignored) {
                // one side closed
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
