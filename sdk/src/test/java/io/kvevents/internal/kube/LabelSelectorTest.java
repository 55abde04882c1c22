package io.kvevents.internal.kube;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

class LabelSelectorTest {
    private static final Map<String, String> LABELS = Map.of("app", "llama", "tier", "gpu");

    @Test
    void equalityInequalityAndExistenceAllMustHold() {
        assertTrue(LabelSelector.parse("app=llama").matches(LABELS));
        assertTrue(LabelSelector.parse("app==llama, tier").matches(LABELS));
        assertTrue(LabelSelector.parse("app!=mistral,!canary").matches(LABELS));
        assertFalse(LabelSelector.parse("app=llama,tier=cpu").matches(LABELS));
        assertFalse(LabelSelector.parse("!tier").matches(LABELS));
        assertFalse(LabelSelector.parse("app=llama").matches(null));
        assertTrue(LabelSelector.parse("app!=llama").matches(null));
    }

    /** Issue 14: set-based terms as apimachinery pkg/labels/selector.go parses them (in, notin, with parentheses). */
    @Test
    void setBasedTermsMatchAsKubectlsDo() {
        assertTrue(LabelSelector.parse("app in (llama, mistral)").matches(LABELS));
        assertTrue(LabelSelector.parse("app in (llama),tier notin (cpu,tpu)").matches(LABELS));
        assertFalse(LabelSelector.parse("app notin (llama)").matches(LABELS));
        assertTrue(LabelSelector.parse("env notin (prod)").matches(LABELS), "a missing label is not in any set");
        assertFalse(LabelSelector.parse("env in (prod)").matches(LABELS));
        assertTrue(LabelSelector.parse("tier in (gpu),app,!canary").matches(LABELS));
    }

    @Test
    void malformedSelectorsSayWhatIsAccepted() {
        assertEquals("not a label selector term: '=x' (use KEY=VALUE, KEY!=VALUE, KEY in (A,B), KEY notin (A,B), KEY"
                        + " or !KEY)",
                assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("=x")).getMessage());
        assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("app in ()"));
        assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("app in (a b)"));
    }
}
