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

    @Test
    void setBasedAndMalformedSelectorsSayWhatIsAccepted() {
        assertEquals("set-based selectors (app in (a,b)) are not supported here: use KEY=VALUE, KEY!=VALUE, KEY or !KEY",
                assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("app in (a,b)")).getMessage());
        assertEquals("not a label selector term: '=x' (use KEY=VALUE, KEY!=VALUE, KEY or !KEY)",
                assertThrows(IllegalArgumentException.class, () -> LabelSelector.parse("=x")).getMessage());
    }
}
