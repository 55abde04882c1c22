package io.kvevents.sdk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * When a rollout is done, as {@code kubectl rollout status} decides it: kubectl dee3483a3
 * pkg/polymorphichelpers/rollout_status.go, {@code DeploymentStatusViewer.Status}. Nothing is decided before
 * {@code Generation <= Status.ObservedGeneration} (an absent observedGeneration is Go's 0), not even the progress
 * deadline; {@code UpdatedReplicas < *Spec.Replicas} only when spec.replicas is set; then old replicas pending
 * termination, then updated replicas not yet available.
 */
class RolloutStatusTest {
    private static Map<String, Object> deployment(long generation, Long observed, Integer replicas, Map<String, Object> status) {
        Map<String, Object> st = new LinkedHashMap<>(status);
        if (observed != null) {
            st.put("observedGeneration", observed);
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        if (replicas != null) {
            spec.put("replicas", replicas);
        }
        return Map.of("metadata", Map.of("name", "llama", "generation", generation), "spec", spec, "status", st);
    }

    private static final Map<String, Object> DEADLINE = Map.of("type", "Progressing", "status", "False",
            "reason", "ProgressDeadlineExceeded", "message", "ReplicaSet \"llama-5d\" has timed out progressing.");

    @Test
    void aDeadlineExceededByTheRolloutBeforeDoesNotFailTheOneJustWritten() {
        // the template was just patched (generation 4); the controller has not seen it, and still reports the
        // deadline its previous rollout exceeded: kubectl waits ("Waiting for deployment spec update to be observed")
        Map<String, Object> stale = deployment(4, 3L, 2, Map.of("replicas", 2, "updatedReplicas", 2,
                "availableReplicas", 2, "conditions", List.of(DEADLINE)));
        assertFalse(ClusterMigration.rolledOut(stale));
        Map<String, Object> observed = deployment(4, 4L, 2, Map.of("replicas", 2, "updatedReplicas", 1,
                "availableReplicas", 1, "conditions", List.of(DEADLINE)));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> ClusterMigration.rolledOut(observed));
        assertTrue(e.getMessage().startsWith("deployment.apps/llama exceeded its progress deadline"), e.getMessage());
    }

    @Test
    void anAbsentObservedGenerationIsNotObservedYet() {
        assertFalse(ClusterMigration.rolledOut(deployment(1, null, 1, Map.of("replicas", 1, "updatedReplicas", 1,
                "availableReplicas", 1))));
        assertTrue(ClusterMigration.rolledOut(deployment(1, 1L, 1, Map.of("replicas", 1, "updatedReplicas", 1,
                "availableReplicas", 1))));
    }

    @Test
    void oldReplicasPendingAndUnavailableUpdatedOnesKeepItWaiting() {
        assertFalse(ClusterMigration.rolledOut(deployment(2, 2L, 2, Map.of("replicas", 3, "updatedReplicas", 2,
                "availableReplicas", 3))), "an old replica is pending termination");
        assertFalse(ClusterMigration.rolledOut(deployment(2, 2L, 2, Map.of("replicas", 2, "updatedReplicas", 2,
                "availableReplicas", 1))), "an updated replica is not available yet");
        assertFalse(ClusterMigration.rolledOut(deployment(2, 2L, 2, Map.of("replicas", 1, "updatedReplicas", 1,
                "availableReplicas", 1))), "one of two replicas updated");
        // no spec.replicas: kubectl does not compare updated with it
        assertEquals(true, ClusterMigration.rolledOut(deployment(2, 2L, null, Map.of("replicas", 0, "updatedReplicas", 0,
                "availableReplicas", 0))));
    }
}
