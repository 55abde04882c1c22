package io.kvevents.internal.kube;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.URI;
import java.net.UnknownHostException;
import java.util.Base64;
import java.util.Locale;
import java.util.Map;
import okhttp3.Authenticator;

/**
 * The proxy kubectl would use to reach an API server (client-go v0.34.1 tools/clientcmd/client_config.go and
 * transport/cache.go; golang.org/x/net/http/httpproxy): the cluster's {@code proxy-url} (http or socks5; an https
 * proxy is refused, since OkHttp would send it CONNECT in cleartext),
 * else {@code HTTPS_PROXY} for an https server and {@code HTTP_PROXY} for http (upper case first), unless
 * {@code NO_PROXY} excludes the host; localhost and loopback addresses are never proxied. client-java reads none
 * of these.
 */
public final class Proxies {
    /** A proxy and the Proxy-Authorization its URL's user info asks for (null: none). */
    public record Choice(Proxy proxy, String authorization) {
        static final Choice DIRECT = new Choice(Proxy.NO_PROXY, null);

        /** Answers a proxy's 407 with the URL's credentials. */
        public Authenticator authenticator() {
            if (authorization == null) {
                return Authenticator.NONE;
            }
            return (route, response) -> response.request().header("Proxy-Authorization") != null ? null
                    : response.request().newBuilder().header("Proxy-Authorization", authorization).build();
        }
    }

    private Proxies() {
    }

    /** @throws IllegalArgumentException on a proxy URL kubectl would refuse too */
    public static Choice choose(String server, String proxyUrl, Map<String, String> env) {
        URI target = URI.create(server);
        if (proxyUrl != null) {
            return parse(proxyUrl, "the cluster's proxy-url");
        }
        String host = target.getHost();
        if (host == null || loopback(host)) {
            return Choice.DIRECT;
        }
        boolean https = "https".equalsIgnoreCase(target.getScheme());
        String proxy = https ? first(env, "HTTPS_PROXY", "https_proxy") : first(env, "HTTP_PROXY", "http_proxy");
        if (proxy == null || proxy.isBlank()) {
            return Choice.DIRECT;
        }
        int port = target.getPort() > 0 ? target.getPort() : https ? 443 : 80;
        if (excluded(host, port, first(env, "NO_PROXY", "no_proxy"))) {
            return Choice.DIRECT;
        }
        return parse(proxy, https ? "HTTPS_PROXY" : "HTTP_PROXY");
    }

    private static String first(Map<String, String> env, String upper, String lower) {
        String v = env.get(upper);
        return v != null && !v.isEmpty() ? v : env.get(lower);
    }

    private static Choice parse(String url, String what) {
        URI u = URI.create(url.contains("://") ? url : "http://" + url);
        String scheme = u.getScheme().toLowerCase(Locale.ROOT);
        Proxy.Type type = switch (scheme) {
            case "http" -> Proxy.Type.HTTP;
            case "socks5" -> Proxy.Type.SOCKS;
            // OkHttp speaks plain HTTP to a proxy: a TLS proxy would get CONNECT, and its credentials, in cleartext
            case "https" -> throw new IllegalArgumentException(what + " " + url + " is an https proxy, which this client"
                    + " cannot speak TLS to: use its http:// address");
            default -> throw new IllegalArgumentException(what + " " + url + " has the unsupported scheme " + scheme
                    + ": it must be http or socks5");
        };
        if (u.getHost() == null) {
            throw new IllegalArgumentException(what + " " + url + " names no host");
        }
        int port = u.getPort() > 0 ? u.getPort() : scheme.equals("socks5") ? 1080 : 80;
        if (type == Proxy.Type.SOCKS && u.getUserInfo() != null) {
            throw new IllegalArgumentException(what + " " + url.replace(u.getRawUserInfo() + "@", "…@") + " carries"
                    + " credentials, which this client cannot give a SOCKS proxy: use one that needs none");
        }
        String auth = u.getUserInfo() == null ? null : "Basic " + Base64.getEncoder().encodeToString(
                u.getUserInfo().getBytes(java.nio.charset.StandardCharsets.UTF_8)); // percent-decoded, '+' kept
        return new Choice(new Proxy(type, InetSocketAddress.createUnresolved(u.getHost(), port)), auth);
    }

    private static boolean loopback(String host) {
        String h = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        if (h.equalsIgnoreCase("localhost")) {
            return true;
        }
        if (!h.matches("[0-9.]+|[0-9a-fA-F:]+")) {
            return false; // a name: never resolved here, as Go's httpproxy does not resolve it
        }
        try {
            return InetAddress.getByName(h).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    /**
     * NO_PROXY as httpproxy reads it: comma-separated; {@code *} matches everything; an IP or CIDR matches
     * addresses; {@code foo.com} matches foo.com and its subdomains, {@code .foo.com} only the subdomains; an
     * entry with {@code :port} matches that port only.
     */
    static boolean excluded(String host, int port, String noProxy) {
        if (noProxy == null || noProxy.isBlank()) {
            return false;
        }
        String h = (host.startsWith("[") ? host.substring(1, host.length() - 1) : host).toLowerCase(Locale.ROOT);
        for (String raw : noProxy.split(",")) {
            String entry = raw.strip().toLowerCase(Locale.ROOT);
            if (entry.isEmpty()) {
                continue;
            }
            if (entry.equals("*")) {
                return true;
            }
            if (entry.contains("/")) {
                if (inCidr(h, entry)) {
                    return true;
                }
                continue;
            }
            int entryPort = -1;
            int colon = entry.lastIndexOf(':');
            boolean bracketed = entry.startsWith("[") && entry.indexOf(']') > 0;
            if (bracketed && colon > entry.indexOf(']') && entry.substring(colon + 1).matches("\\d+")) {
                entryPort = Integer.parseInt(entry.substring(colon + 1)); // [::1]:6443
                entry = entry.substring(0, colon);
            } else if (!bracketed && colon > 0 && entry.indexOf(':') == colon && entry.substring(colon + 1).matches("\\d+")) {
                entryPort = Integer.parseInt(entry.substring(colon + 1));
                entry = entry.substring(0, colon);
            }
            if (entryPort > 0 && entryPort != port) {
                continue;
            }
            if (entry.startsWith("[") && entry.endsWith("]")) {
                entry = entry.substring(1, entry.length() - 1);
            }
            if (entry.startsWith("*.")) {
                entry = entry.substring(1);
            }
            if (entry.startsWith(".") ? h.endsWith(entry) : h.equals(entry) || h.endsWith("." + entry)) {
                return true;
            }
        }
        return false;
    }

    private static boolean inCidr(String host, String cidr) {
        if (!host.matches("[0-9.]+|[0-9a-f:]+")) {
            return false;
        }
        try {
            String[] parts = cidr.split("/");
            byte[] net = InetAddress.getByName(parts[0]).getAddress();
            byte[] ip = InetAddress.getByName(host).getAddress();
            int bits = Integer.parseInt(parts[1]);
            if (net.length != ip.length) {
                return false;
            }
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >> (i % 8);
                if ((net[i / 8] & mask) != (ip[i / 8] & mask)) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException | RuntimeException e) {
            return false;
        }
    }
}
