package io.kvevents.internal.kube;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * kubectl's equality-based label selectors ({@code -l}): {@code k=v}, {@code k==v}, {@code k!=v},
 * {@code k} (has the label) and {@code !k} (has not), comma-separated, all of which must hold.
 */
public record LabelSelector(String text, List<Term> terms) {

    /** One requirement. */
    public record Term(String key, Op op, String value) {
        boolean matches(Map<?, ?> labels) {
            Object v = labels.get(key);
            return switch (op) {
                case EQUALS -> v != null && value.equals(String.valueOf(v));
                case NOT_EQUALS -> v == null || !value.equals(String.valueOf(v));
                case EXISTS -> v != null;
                case NOT_EXISTS -> v == null;
            };
        }
    }

    /** How a term compares. */
    public enum Op { EQUALS, NOT_EQUALS, EXISTS, NOT_EXISTS }

    /** @throws IllegalArgumentException on set-based or malformed selectors, saying what is accepted */
    public static LabelSelector parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("an empty label selector: give -l KEY=VALUE[,KEY=VALUE…]");
        }
        if (text.contains(" in ") || text.contains(" notin ") || text.contains("(")) {
            throw new IllegalArgumentException("set-based selectors (" + text + ") are not supported here: use KEY=VALUE,"
                    + " KEY!=VALUE, KEY or !KEY");
        }
        List<Term> terms = new ArrayList<>();
        for (String raw : text.split(",")) {
            String t = raw.strip();
            Term term;
            if (t.contains("!=")) {
                term = new Term(t.substring(0, t.indexOf("!=")).strip(), Op.NOT_EQUALS, t.substring(t.indexOf("!=") + 2).strip());
            } else if (t.contains("==")) {
                term = new Term(t.substring(0, t.indexOf("==")).strip(), Op.EQUALS, t.substring(t.indexOf("==") + 2).strip());
            } else if (t.contains("=")) {
                term = new Term(t.substring(0, t.indexOf('=')).strip(), Op.EQUALS, t.substring(t.indexOf('=') + 1).strip());
            } else if (t.startsWith("!")) {
                term = new Term(t.substring(1).strip(), Op.NOT_EXISTS, null);
            } else {
                term = new Term(t, Op.EXISTS, null);
            }
            if (term.key().isEmpty() || !term.key().matches("[A-Za-z0-9./_-]+")) {
                throw new IllegalArgumentException("not a label selector term: '" + t + "' (use KEY=VALUE, KEY!=VALUE, KEY or !KEY)");
            }
            terms.add(term);
        }
        return new LabelSelector(text, List.copyOf(terms));
    }

    /** True when every term holds for these labels (null: no labels). */
    public boolean matches(Map<?, ?> labels) {
        Map<?, ?> l = labels == null ? Map.of() : labels;
        return terms.stream().allMatch(t -> t.matches(l));
    }
}
