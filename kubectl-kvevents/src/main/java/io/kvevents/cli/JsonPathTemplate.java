package io.kvevents.cli;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonPrimitive;
import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.Option;
import com.jayway.jsonpath.PathNotFoundException;
import com.jayway.jsonpath.spi.json.GsonJsonProvider;
import com.jayway.jsonpath.spi.mapper.GsonMappingProvider;
import java.util.ArrayList;
import java.util.List;

/**
 * kubectl's {@code -o jsonpath=TEMPLATE} (k8s.io/client-go/util/jsonpath): text with {@code {EXPRESSION}}
 * parts, {@code {range EXPRESSION}…{end}} loops and {@code {"literal"}} strings. An expression is JSONPath
 * relative to the object ({@code .items[*].model}, {@code .items[?(@.state=="off")].model}) or, inside a range,
 * to the element ({@code @.model} or {@code .model}); several results print space-separated, objects as JSON.
 */
final class JsonPathTemplate {
    private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();
    private static final Configuration CONFIG = Configuration.builder().jsonProvider(new GsonJsonProvider(GSON))
            .mappingProvider(new GsonMappingProvider(GSON)).options(Option.SUPPRESS_EXCEPTIONS).build();

    /** A parsed template part. */
    private sealed interface Part permits Text, Expression, Range {
    }

    private record Text(String text) implements Part {
    }

    private record Expression(JsonPath path) implements Part {
    }

    private record Range(JsonPath path, List<Part> body) implements Part {
    }

    private final List<Part> parts;

    private JsonPathTemplate(List<Part> parts) {
        this.parts = parts;
    }

    /** @throws IllegalArgumentException saying what is wrong with the template */
    static JsonPathTemplate parse(String template) {
        List<List<Part>> stack = new ArrayList<>();
        List<JsonPath> ranges = new ArrayList<>();
        List<Part> current = new ArrayList<>();
        int i = 0;
        while (i < template.length()) {
            int open = template.indexOf('{', i);
            if (open < 0) {
                current.add(new Text(template.substring(i)));
                break;
            }
            if (open > i) {
                current.add(new Text(template.substring(i, open)));
            }
            int close = closing(template, open);
            String inner = template.substring(open + 1, close).strip();
            if (inner.startsWith("range ")) {
                stack.add(current);
                ranges.add(path(inner.substring("range ".length()).strip(), template));
                current = new ArrayList<>();
            } else if (inner.equals("end")) {
                if (stack.isEmpty()) {
                    throw new IllegalArgumentException("jsonpath template " + template + ": {end} without {range}");
                }
                Range r = new Range(ranges.remove(ranges.size() - 1), List.copyOf(current));
                current = stack.remove(stack.size() - 1);
                current.add(r);
            } else if (inner.startsWith("\"") && inner.endsWith("\"") && inner.length() >= 2) {
                current.add(new Text(unquote(inner.substring(1, inner.length() - 1))));
            } else {
                current.add(new Expression(path(inner, template)));
            }
            i = close + 1;
        }
        if (!stack.isEmpty()) {
            throw new IllegalArgumentException("jsonpath template " + template + ": {range} without {end}");
        }
        return new JsonPathTemplate(List.copyOf(current));
    }

    /** The brace that closes the one at {@code open}, skipping braces inside quoted strings. */
    private static int closing(String template, int open) {
        boolean quoted = false;
        for (int i = open + 1; i < template.length(); i++) {
            char c = template.charAt(i);
            if (c == '"' && template.charAt(i - 1) != '\\') {
                quoted = !quoted;
            } else if (c == '}' && !quoted) {
                return i;
            }
        }
        throw new IllegalArgumentException("jsonpath template " + template + ": unclosed {");
    }

    private static String unquote(String s) {
        return s.replace("\\n", "\n").replace("\\t", "\t").replace("\\\"", "\"").replace("\\\\", "\\");
    }

    private static JsonPath path(String expression, String template) {
        String e = expression.startsWith("@") ? "$" + expression.substring(1)
                : expression.startsWith("$") ? expression : "$" + (expression.startsWith("[") ? "" : "") + expression;
        try {
            return JsonPath.compile(e.equals("$.") ? "$" : e);
        } catch (RuntimeException bad) {
            throw new IllegalArgumentException("jsonpath template " + template + ": " + expression + " is not a JSONPath"
                    + " expression (" + bad.getMessage() + ")");
        }
    }

    /** The template applied to a JSON value. */
    String apply(JsonElement root) {
        StringBuilder out = new StringBuilder();
        render(parts, root, out);
        return out.toString();
    }

    private static void render(List<Part> parts, JsonElement context, StringBuilder out) {
        for (Part p : parts) {
            if (p instanceof Text t) {
                out.append(t.text());
            } else if (p instanceof Expression e) {
                List<JsonElement> values = results(e.path(), context);
                for (int i = 0; i < values.size(); i++) {
                    out.append(i == 0 ? "" : " ").append(text(values.get(i)));
                }
            } else if (p instanceof Range r) {
                for (JsonElement element : results(r.path(), context)) {
                    render(r.body(), element, out);
                }
            }
        }
    }

    /** A path's results: a definite path's one value (an array of several is its elements), an indefinite one's list. */
    private static List<JsonElement> results(JsonPath path, JsonElement context) {
        Object read;
        try {
            read = path.read(context, CONFIG);
        } catch (PathNotFoundException e) {
            return List.of();
        }
        if (read == null) {
            return List.of();
        }
        JsonElement value = read instanceof JsonElement j ? j : GSON.toJsonTree(read);
        List<JsonElement> out = new ArrayList<>();
        if (!path.isDefinite() && value instanceof JsonArray a) {
            a.forEach(out::add);
        } else {
            out.add(value);
        }
        return out;
    }

    private static String text(JsonElement v) {
        if (v.isJsonNull()) {
            return "";
        }
        if (v instanceof JsonPrimitive p) {
            return p.isString() ? p.getAsString() : p.toString();
        }
        return GSON.toJson(v);
    }
}
