package io.kvevents.internal.kube;

import io.kvevents.sdk.ObjectRef;
import io.kvevents.sdk.PlanStep;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A planner's outcome: every object as it will be, one step per object it touches, what the user should
 * know, and, per changed object, the fields this run wrote (what a failed run rolls back).
 *
 * @param self the model Deployment ({@code namespace/name}) the plan is about
 */
public record Plan(String self, List<Map<String, Object>> objects, List<PlanStep> steps, List<String> warnings,
        List<Change> changes) {

    /**
     * What this run did to one object.
     *
     * @param run the fields it wrote, with what they held before the run
     * @param recordBefore the object's ownership record before the run
     * @param gateway true for the shared gateway Deployment
     */
    public record Change(ObjectRef object, List<Ownership.Owned> run, Optional<Ownership> recordBefore, boolean gateway) {
        public Change {
            run = List.copyOf(run);
        }
    }

    public Plan {
        objects = List.copyOf(objects);
        steps = List.copyOf(steps);
        warnings = List.copyOf(warnings);
        changes = List.copyOf(changes);
    }

    public Plan withWarning(String warning) {
        List<String> w = new ArrayList<>(warnings);
        w.add(warning);
        return new Plan(self, objects, steps, w, changes);
    }

    /** This plan without the objects of a kind (Secrets read to resolve settings are not the caller's to see). */
    public Plan withoutKind(String kind) {
        return new Plan(self, objects.stream().filter(o -> !kind.equals(o.get("kind"))).toList(), steps, warnings, changes);
    }

    /** One step per object whose tree changed or that the plan looked at and found in place. */
    static List<PlanStep> steps(List<Map<String, Object>> before, List<Map<String, Object>> after, List<ObjectRef> touched,
            String summary) {
        List<PlanStep> steps = new ArrayList<>();
        for (int i = 0; i < before.size(); i++) {
            ObjectRef ref = ObjectRef.of(after.get(i));
            var patch = JsonPatchDiff.diff(before.get(i), after.get(i));
            if (!patch.isEmpty() || touched.contains(ref)) {
                steps.add(new PlanStep(ref, patch.isEmpty() ? "unchanged" : summary, patch));
            }
        }
        return steps;
    }
}
