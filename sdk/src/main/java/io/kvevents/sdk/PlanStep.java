package io.kvevents.sdk;

import java.util.List;

/**
 * One object a plan changes, what changes, and the JSON patch that makes the change (empty when it is
 * already in place).
 */
public record PlanStep(ObjectRef object, String summary, List<PatchOp> patch) {

    public PlanStep {
        patch = List.copyOf(patch);
    }

    /** {@code kind.group/name} as kubectl prints it. */
    public String target() {
        return object.target();
    }

    public String namespace() {
        return object.namespace();
    }

    /** True when the object already is as the plan wants it. */
    public boolean inPlace() {
        return patch.isEmpty();
    }

    @Override
    public String toString() {
        return target() + (inPlace() ? " unchanged" : ": " + summary + " (" + patch.size() + " patch ops)");
    }
}
