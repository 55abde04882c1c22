package io.kvevents.internal.kube;

import java.util.Optional;

/**
 * What each vLLM and AIBrix gateway version does with KV events, as far as enable and status depend on it.
 * docs/compatibility.md is this table in prose, with the upstream source of each line.
 */
public final class Compatibility {
    /** vLLM versions where something changed. */
    static final Version KV_EVENTS = new Version(0, 9, 0);
    static final Version DP_PORT_OFFSETS = new Version(0, 9, 1);
    static final Version PUBLISHER_DEFAULT_ZMQ = new Version(0, 11, 1);
    static final Version MAP_EVENTS = new Version(0, 24, 0);
    /** The newest AIBrix release read: it decodes array events only (pkg/cache/kvcache/msgpack_decoder.go). */
    static final Version NEWEST_GATEWAY_READ = new Version(0, 7, 0);

    private Compatibility() {
    }

    /** A release number from an image tag ({@code v0.11.0}, {@code 0.9.1-cu128}). */
    public record Version(int major, int minor, int patch) implements Comparable<Version> {

        /** The version an image's tag names, if it names one. */
        public static Optional<Version> ofImage(String image) {
            int[] v = EnablePlanner.version(image);
            return v == null ? Optional.empty() : Optional.of(new Version(v[0], v[1], v[2]));
        }

        @Override
        public int compareTo(Version o) {
            return major != o.major ? Integer.compare(major, o.major)
                    : minor != o.minor ? Integer.compare(minor, o.minor) : Integer.compare(patch, o.patch);
        }

        boolean atLeast(Version o) {
            return compareTo(o) >= 0;
        }

        @Override
        public String toString() {
            return major + "." + minor + "." + patch;
        }
    }

    /** vLLM publishes events as maps (earlier: positional arrays). */
    public static boolean sendsMapEvents(Version vllm) {
        return vllm.atLeast(MAP_EVENTS);
    }

    /** vLLM's {@code publisher} defaults to null, so a config must name {@code "zmq"}. */
    public static boolean needsExplicitPublisher(Version vllm) {
        return !vllm.atLeast(PUBLISHER_DEFAULT_ZMQ);
    }

    /** Data-parallel rank r binds pub+r and replay+r (0.9.0 had every rank bind the same ports). */
    public static boolean offsetsDataParallelPorts(Version vllm) {
        return vllm.atLeast(DP_PORT_OFFSETS);
    }

    /**
     * Why this vLLM and this gateway cannot work together, if they cannot: a vLLM that sends map events and
     * a gateway that decodes arrays only (every AIBrix release up to v0.7.0, and main at e3e10f9, drops
     * such batches whole). Empty when they can, or when a version is unknown.
     *
     * @param gatewayImage the gateway plugin's image
     */
    public static Optional<String> eventFormatMismatch(String vllmImage, String gatewayImage) {
        Optional<Version> vllm = Version.ofImage(vllmImage);
        if (vllm.isEmpty() || !sendsMapEvents(vllm.get())) {
            return Optional.empty();
        }
        Optional<Version> gateway = Version.ofImage(gatewayImage);
        if (gateway.isPresent() && !gateway.get().atLeast(new Version(NEWEST_GATEWAY_READ.major(), NEWEST_GATEWAY_READ.minor(),
                NEWEST_GATEWAY_READ.patch() + 1))) {
            return Optional.of("vLLM " + vllm.get() + " (" + vllmImage + ") sends KV events as maps, and the AIBrix gateway "
                    + gateway.get() + " (" + gatewayImage + ") decodes arrays only: it would drop every batch");
        }
        if (gateway.isEmpty()) {
            return Optional.of("vLLM " + vllm.get() + " (" + vllmImage + ") sends KV events as maps, and the AIBrix gateway"
                    + " image " + gatewayImage + " names no release: AIBrix up to v" + NEWEST_GATEWAY_READ + " and main at"
                    + " e3e10f9 decode arrays only and would drop every batch");
        }
        return Optional.empty();
    }
}
