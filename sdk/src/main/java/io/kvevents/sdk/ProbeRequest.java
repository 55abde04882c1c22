package io.kvevents.sdk;

import java.util.Arrays;
import java.util.Objects;

/**
 * A prompt to probe: its token ids and, when the index holds several, which model, LoRA adapter and
 * cache salt it is asked under (they change the block keys: equal tokens under another adapter or
 * salt never match).
 */
public record ProbeRequest(int[] tokens, String model, String lora, String cacheSalt) {

    public ProbeRequest {
        Objects.requireNonNull(tokens, "tokens");
    }

    /** A prompt in the index's only model, no LoRA, no salt. */
    public static ProbeRequest of(int... tokens) {
        return new ProbeRequest(tokens, null, null, null);
    }

    public ProbeRequest withModel(String name) {
        return new ProbeRequest(tokens, name, lora, cacheSalt);
    }

    public ProbeRequest withLora(String name) {
        return new ProbeRequest(tokens, model, name, cacheSalt);
    }

    public ProbeRequest withCacheSalt(String salt) {
        return new ProbeRequest(tokens, model, lora, salt);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ProbeRequest r && Arrays.equals(tokens, r.tokens) && Objects.equals(model, r.model)
                && Objects.equals(lora, r.lora) && Objects.equals(cacheSalt, r.cacheSalt);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(tokens);
    }

    @Override
    public String toString() {
        return "ProbeRequest[" + tokens.length + " tokens" + (model == null ? "" : " model=" + model)
                + (lora == null ? "" : " lora=" + lora) + (cacheSalt == null ? "" : " salted") + "]";
    }
}
