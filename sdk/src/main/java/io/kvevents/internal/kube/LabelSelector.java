package io.kvevents.internal.kube;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * kubectl's label selectors ({@code -l}), equality- and set-based as apimachinery's labels.Parse reads them:
 * {@code k=v}, {@code k==v}, {@code k!=v}, {@code k in (a,b)}, {@code k notin (a,b)}, {@code k} (has the label)
 * and {@code !k} (has not), comma-separated, all of which must hold.
 */
public record LabelSelector(String text, List<Term> terms) {

    /** One requirement; {@code values} is one value for the equality operators, none for the existence ones. */
    public record Term(String key, Op op, Set<String> values) {
        boolean matches(Map<?, ?> labels) {
            Object v = labels.get(key);
            String s = v == null ? null : String.valueOf(v);
            return switch (op) {
                case EQUALS, IN -> s != null && values.contains(s);
                case NOT_EQUALS, NOT_IN -> s == null || !values.contains(s);
                case EXISTS -> s != null;
                case NOT_EXISTS -> s == null;
            };
        }
    }

    /** How a term compares. */
    public enum Op { EQUALS, NOT_EQUALS, IN, NOT_IN, EXISTS, NOT_EXISTS }

    private static final String KEY = "[A-Za-z0-9./_-]+";
    private static final String VALUE = "[A-Za-z0-9._-]*";

    /** @throws IllegalArgumentException on a malformed selector, saying what is accepted */
    /** {@code k1=v1,k2=v2} for a map of labels (a Deployment's matchLabels, a Service's selector), keys sorted. */
    public static String equalities(Map<?, ?> labels) {
        return labels.entrySet().stream().map(e -> e.getKey() + "=" + e.getValue()).sorted()
                .collect(java.util.stream.Collectors.joining(","));
    }

    public static LabelSelector parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("an empty label selector: give -l KEY=VALUE[,KEY in (A,B)…]");
        }
        List<Term> terms = new ArrayList<>();
        for (String raw : topLevel(text)) {
            terms.add(term(raw.strip()));
        }
        return new LabelSelector(text, List.copyOf(terms));
    }

    /** The comma-separated terms, a parenthesised value list counting as part of its term. */
    private static List<String> topLevel(String text) {
        List<String> out = new ArrayList<>();
        int depth = 0;
        int start = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '(') {
                depth++;
            } else if (c == ')') {
                depth--;
            } else if (c == ',' && depth == 0) {
                out.add(text.substring(start, i));
                start = i + 1;
            }
        }
        out.add(text.substring(start));
        return out;
    }

    private static Term term(String t) {
        java.util.regex.Matcher set = java.util.regex.Pattern.compile("(" + KEY + ")\\s+(in|notin)\\s*\\((.*)\\)").matcher(t);
        Term term;
        if (set.matches()) {
            List<String> values = new ArrayList<>();
            for (String v : set.group(3).split(",")) {
                values.add(v.strip());
            }
            term = new Term(set.group(1), set.group(2).equals("in") ? Op.IN : Op.NOT_IN, Set.copyOf(values));
        } else if (t.contains("!=")) {
            term = new Term(t.substring(0, t.indexOf("!=")).strip(), Op.NOT_EQUALS, Set.of(t.substring(t.indexOf("!=") + 2).strip()));
        } else if (t.contains("==")) {
            term = new Term(t.substring(0, t.indexOf("==")).strip(), Op.EQUALS, Set.of(t.substring(t.indexOf("==") + 2).strip()));
        } else if (t.contains("=")) {
            term = new Term(t.substring(0, t.indexOf('=')).strip(), Op.EQUALS, Set.of(t.substring(t.indexOf('=') + 1).strip()));
        } else if (t.startsWith("!")) {
            term = new Term(t.substring(1).strip(), Op.NOT_EXISTS, Set.of());
        } else {
            term = new Term(t, Op.EXISTS, Set.of());
        }
        if (!term.key().matches(KEY) || term.values().stream().anyMatch(v -> !v.matches(VALUE))
                || (term.op() == Op.IN || term.op() == Op.NOT_IN) && term.values().contains("")) {
            throw new IllegalArgumentException("not a label selector term: '" + t + "' (use KEY=VALUE, KEY!=VALUE,"
                    + " KEY in (A,B), KEY notin (A,B), KEY or !KEY)");
        }
        return term;
    }

    /** True when every term holds for these labels (null: no labels). */
    public boolean matches(Map<?, ?> labels) {
        Map<?, ?> l = labels == null ? Map.of() : labels;
        return terms.stream().allMatch(t -> t.matches(l));
    }
}
