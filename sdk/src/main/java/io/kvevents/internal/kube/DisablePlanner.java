package io.kvevents.internal.kube;

import io.kvevents.sdk.EnableOptions;
import io.kvevents.sdk.ObjectRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Plans disable (docs/migration-guide.md): a three-way undo of what enable recorded on each object,
 * and the shared gateway's settings undone only when no model anywhere still uses sync. Also undoes one
 * failed run's writes ({@link #rollBack}).
 */
public final class DisablePlanner {
    private DisablePlanner() {
    }

    /**
     * @param syncUsers every Deployment ({@code namespace/name}) that uses sync wherever the gateway serves,
     *     or null when they cannot all be seen (the gateway then keeps its settings)
     * @param whyUnseen why they cannot all be seen, for the warning
     */
    public static Plan plan(List<Map<String, Object>> input, String model, EnableOptions o, boolean gatewayOnly,
            Set<String> syncUsers, String whyUnseen) {
        List<Map<String, Object>> before = input.stream().map(JsonTree::copy).toList();
        List<Map<String, Object>> after = input.stream().map(JsonTree::copy).toList();
        List<String> warnings = new ArrayList<>();
        List<ObjectRef> touched = new ArrayList<>();
        Map<String, Object> deployment = Workloads.modelDeployment(after, model);
        String self = Workloads.qualified(deployment);
        if (!gatewayOnly) {
            // the Services are found by the pod labels as they are now: the undo may remove a label they select on
            List<Map<String, Object>> services = Workloads.selectingServices(after, deployment);
            undoModelObject(deployment, o.force(), warnings);
            touched.add(ObjectRef.of(deployment));
            for (Map<String, Object> service : services) {
                undoModelObject(service, o.force(), warnings);
                touched.add(ObjectRef.of(service));
            }
        }
        Map<String, Object> gateway = o.skipGateway() ? null
                : Workloads.find(after, "Deployment", o.gatewayNamespace(), o.gatewayDeployment());
        if (gateway != null) {
            touched.add(ObjectRef.of(gateway));
            Map<String, Object> container = Workloads.gatewayContainer(gateway);
            FieldPath c = FieldPath.keys("spec", "template", "spec").item("containers", "name", String.valueOf(container.get("name")));
            if (gatewayOnly) {
                // recorded like enable's writes, so that a full disable later undoes these too
                EnablePlanner.Edits g = EnablePlanner.Edits.of(gateway);
                for (String name : List.of("AIBRIX_PREFIX_CACHE_KV_EVENT_SYNC_ENABLED", "AIBRIX_KV_EVENT_SYNC_ENABLED")) {
                    g.set(c.item("env", "name", name), EnablePlanner.map("name", name, "value", "false"));
                }
                g.finish(true, null);
            } else {
                undoGateway(gateway, self, syncUsers, whyUnseen, o.force(), warnings);
            }
        }
        return new Plan(self, after, EnablePlanner.gatewaySteps(Plan.steps(before, after, touched,
                gatewayOnly ? "KV event sync off" : "restored"), o), warnings, List.of());
    }

    /** The other models that use sync, from the scan of every namespace; null when unknown. */
    private static Set<String> others(Set<String> syncUsers, String self) {
        if (syncUsers == null) {
            return null;
        }
        Set<String> out = new TreeSet<>(syncUsers);
        out.remove(self);
        return out;
    }

    private static void undoGateway(Map<String, Object> gateway, String self, Set<String> syncUsers, String whyUnseen,
            boolean force, List<String> warnings) {
        Optional<Ownership> record = Ownership.read(gateway);
        Set<String> others = others(syncUsers, self);
        if (others == null) {
            warnings.add("the gateway keeps KV event sync on: " + whyUnseen + ", so other models that use it cannot be ruled"
                    + " out");
        } else if (!others.isEmpty()) {
            warnings.add("other models still use KV event sync " + others + ": the gateway keeps its settings");
        }
        if (record.isPresent()) {
            Ownership r = record.get().withoutUser(self);
            if (others != null && others.isEmpty()) {
                Ownership.Undo undo = Ownership.undo(gateway, r.fields(), force, JsonTree.target(gateway), "disable --force");
                warnings.addAll(undo.kept());
                r = new Ownership(r.createdAnnotations(), List.of(), List.of());
            }
            r.store(gateway);
        } else if (Ownership.legacy(gateway).isPresent() && others != null && others.isEmpty()) {
            legacyRestore(gateway);
        }
    }

    /**
     * Disable on a model Deployment or Service: its record undone, or the first releases' record. An object
     * without a record (never enabled by this tool, or disabled already) is left as it is: what enable did not
     * write is not disable's to remove, and a second disable must not strip what the first one restored.
     */
    private static void undoModelObject(Map<String, Object> object, boolean force, List<String> warnings) {
        Optional<Ownership> record = Ownership.read(object);
        if (record.isPresent()) {
            Ownership.Undo undo = Ownership.undo(object, record.get().fields(), force, JsonTree.target(object), "disable --force");
            warnings.addAll(undo.kept());
            new Ownership(record.get().createdAnnotations(), List.of(), List.of()).store(object);
        } else if (Ownership.legacy(object).isPresent()) {
            legacyRestore(object);
            // the first releases restored the guide's flags too: they make vLLM exit
            for (Map<String, Object> c : JsonTree.containers(object)) {
                for (String field : List.of("args", "command")) {
                    if (c.get(field) instanceof List<?>) {
                        EnablePlanner.removeGuideFlags(JsonTree.list(c, field));
                    }
                }
            }
        } else if ("Deployment".equals(object.get("kind")) && Workloads.usesSync(object)) {
            warnings.add(JsonTree.target(object) + " has no " + Ownership.ANNOTATION + " record (not enabled by this"
                    + " tool, or disabled already): left as it is; remove its KV event flags, ports and labels by hand"
                    + " if they are not wanted");
        }
    }

    /** The first releases' record: whole fields by JSON pointer, put back as they were. */
    @SuppressWarnings("unchecked")
    private static void legacyRestore(Map<String, Object> object) {
        Map<String, Object> saved = Ownership.legacy(object).orElseThrow();
        for (Map.Entry<String, Object> e : saved.entrySet()) {
            if (e.getKey().equals("/metadata/annotations")) {
                continue;
            }
            String[] parts = e.getKey().substring(1).split("/");
            Object node = object;
            for (int i = 0; i < parts.length - 1 && node != null; i++) {
                String p = parts[i].replace("~1", "/").replace("~0", "~");
                node = node instanceof List<?> l ? l.get(Integer.parseInt(p)) : JsonTree.child((Map<String, Object>) node, p);
            }
            if (node instanceof Map<?, ?> parent) {
                String last = parts[parts.length - 1].replace("~1", "/").replace("~0", "~");
                if (e.getValue() == null) {
                    parent.remove(last);
                } else {
                    ((Map<String, Object>) parent).put(last, JsonTree.normalize(e.getValue()));
                }
            }
        }
        FieldPath.keys("metadata", "annotations", Ownership.ANNOTATION).remove(object, saved.get("/metadata/annotations") == null ? 1 : 0);
    }

    /**
     * Undoes one failed run's writes on an object as it is now: each field only where it still holds what
     * the run wrote; the gateway's settings only when no other model uses sync. The object's record goes
     * back to what it held before the run for the fields undone.
     *
     * @param othersUseSync for the gateway: true when another model uses sync (or that cannot be ruled out)
     * @return what was left because it changed since the run
     */
    public static List<String> rollBack(Map<String, Object> object, Plan.Change change, String self, boolean othersUseSync) {
        List<Ownership.Owned> fields = change.gateway() && othersUseSync ? List.of() : change.run();
        Ownership.Undo undo = Ownership.undo(object, fields, false, JsonTree.target(object), null);
        Optional<Ownership> now = Ownership.read(object);
        if (now.isPresent()) {
            Ownership r = now.get();
            if (change.recordBefore().map(b -> !b.users().contains(self)).orElse(true)) {
                r = r.withoutUser(self);
            }
            for (Ownership.Owned f : undo.restored()) {
                Optional<Ownership.Owned> earlier = change.recordBefore().flatMap(b -> b.field(f.path()));
                r = r.without(x -> x.path().equals(f.path()));
                if (earlier.isPresent()) {
                    r = r.merge(List.of(earlier.get()));
                }
            }
            r.store(object);
        }
        return undo.kept();
    }
}
