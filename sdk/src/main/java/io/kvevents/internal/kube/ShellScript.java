package io.kvevents.internal.kube;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A container whose engine command line (vLLM or SGLang) is a shell script ({@code sh -c "vllm serve …"}, {@code bash -lc},
 * {@code bash} with {@code -c} in args, {@code env X=1 sh -ec …}): its flags are read and edited inside the
 * script, with its quoting, and what it does not touch comes back as written. Only a script that is one
 * command ({@code [exec] vllm serve …}, {@code [exec] python[3] -m vllm.entrypoints.openai.api_server …},
 * {@code sglang serve …}, {@code python3 -m sglang.launch_server …})
 * is edited; anything more (pipes, lists, redirections, substitutions, shell variables, comments) is refused.
 * Kubernetes' own {@code $(NAME)} references are words like any other: the kubelet expands them first.
 */
public final class ShellScript {
    private static final Set<String> SHELLS = Set.of("sh", "bash", "dash", "ash", "zsh");

    /** Where the script is: the list ({@code command} or {@code args}) and the index in it. */
    public record Location(String field, int index) {
    }

    /** One word of the script and where it stands in the text ({@code [start, end)}). */
    record Word(String text, int start, int end) {
    }

    private ShellScript() {
    }

    /** The script of a {@code shell -c SCRIPT} invocation, if the container runs one. */
    public static Optional<Location> locate(Map<String, Object> container) {
        List<Object> command = JsonTree.existing(container, "command");
        List<Object> args = JsonTree.existing(container, "args");
        List<Location> where = new ArrayList<>();
        List<String> words = new ArrayList<>();
        for (int i = 0; i < command.size(); i++) {
            where.add(new Location("command", i));
            words.add(String.valueOf(command.get(i)));
        }
        for (int i = 0; i < args.size(); i++) {
            where.add(new Location("args", i));
            words.add(String.valueOf(args.get(i)));
        }
        int i = 0;
        if (!words.isEmpty() && basename(words.get(0)).equals("env")) {
            i++;
            while (i < words.size() && (words.get(i).contains("=") || words.get(i).startsWith("-"))) {
                i++;
            }
        }
        if (i >= words.size() || !SHELLS.contains(basename(words.get(i)))) {
            return Optional.empty();
        }
        for (i++; i < words.size() && words.get(i).startsWith("-"); i++) {
            String option = words.get(i);
            if (!option.startsWith("--") && option.substring(1).contains("c")) {
                return i + 1 < words.size() ? Optional.of(where.get(i + 1)) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    private static String basename(String word) {
        return word.substring(word.lastIndexOf('/') + 1);
    }

    /** The script's text. */
    public static String text(Map<String, Object> container, Location at) {
        return String.valueOf(JsonTree.existing(container, at.field()).get(at.index()));
    }

    /**
     * The words of a one-command vLLM script, with their places in the text.
     *
     * @throws IllegalArgumentException when the script is more than one command, or not vLLM's
     */
    static List<Word> words(String script) {
        List<Word> words = new ArrayList<>();
        StringBuilder word = null;
        int start = 0;
        for (int i = 0; i < script.length(); i++) {
            char c = script.charAt(i);
            if (c == '\'') {
                int close = script.indexOf('\'', i + 1);
                if (close < 0) {
                    throw refuse(script, "an unclosed quote");
                }
                if (word == null) {
                    word = new StringBuilder();
                    start = i;
                }
                word.append(script, i + 1, close);
                i = close;
            } else if (c == '"') {
                if (word == null) {
                    word = new StringBuilder();
                    start = i;
                }
                int j = i + 1;
                for (; j < script.length() && script.charAt(j) != '"'; j++) {
                    char d = script.charAt(j);
                    if (d == '\\' && j + 1 < script.length() && "\"\\$`".indexOf(script.charAt(j + 1)) >= 0) {
                        word.append(script.charAt(++j));
                    } else if ((d == '`' || d == '$') && !kubernetesVariable(script, j)) {
                        throw refuse(script, d == '`' || script.startsWith("$(", j) ? "a command substitution"
                                : "a shell variable (its value is only known when the pod runs)");
                    } else {
                        word.append(d);
                    }
                }
                if (j >= script.length()) {
                    throw refuse(script, "an unclosed quote");
                }
                i = j;
            } else if (c == '\\' && i + 1 < script.length()) {
                if (word == null) {
                    word = new StringBuilder();
                    start = i;
                }
                char next = script.charAt(++i);
                if (next != '\n') {
                    word.append(next);
                }
            } else if (c == ' ' || c == '\t' || (c == '\n' && script.substring(i).isBlank())) {
                if (word != null) {
                    words.add(new Word(word.toString(), start, i));
                    word = null;
                }
            } else if (c == '$' && kubernetesVariable(script, i)) {
                // $(POD_IP): Kubernetes expands it in command and args before the shell runs
                if (word == null) {
                    word = new StringBuilder();
                    start = i;
                }
                int close = script.indexOf(')', i);
                word.append(script, i, close + 1);
                i = close;
            } else if (c == '#' && word == null) {
                throw refuse(script, "a comment (a flag appended after it would be part of the comment)");
            } else if (c == '$') {
                throw refuse(script, script.startsWith("$(", i) ? "a command substitution"
                        : "a shell variable (its value is only known when the pod runs)");
            } else if ("\n;&|<>`(){}".indexOf(c) >= 0) {
                throw refuse(script, "more than one simple command ('" + (c == '\n' ? "\\n" : String.valueOf(c)) + "')");
            } else {
                if (word == null) {
                    word = new StringBuilder();
                    start = i;
                }
                word.append(c);
            }
        }
        if (word != null) {
            words.add(new Word(word.toString(), start, script.length()));
        }
        int program = !words.isEmpty() && words.get(0).text().equals("exec") ? 1 : 0;
        boolean serve = words.size() > program + 1 && basename(words.get(program).text()).matches("vllm|sglang")
                && words.get(program + 1).text().equals("serve");
        boolean module = words.size() > program + 2 && basename(words.get(program).text()).matches("python[0-9.]*")
                && words.get(program + 1).text().equals("-m")
                && words.get(program + 2).text().matches("(vllm|sglang)\\..*");
        if (!serve && !module) {
            throw refuse(script, "no 'vllm serve', 'sglang serve' or 'python -m vllm.…|sglang.…' command");
        }
        return words;
    }

    /** {@code $(NAME)} at {@code i}: a Kubernetes variable reference, expanded before the shell sees the script. */
    private static boolean kubernetesVariable(String script, int i) {
        return script.startsWith("$(", i) && script.substring(i).matches("(?s)\\$\\([A-Za-z_][A-Za-z0-9_]*\\).*");
    }

    private static IllegalArgumentException refuse(String script, String why) {
        String first = script.strip().lines().findFirst().orElse("");
        String shown = first.length() > 80 ? first.substring(0, 77) + "…" : first;
        return new IllegalArgumentException("the engine's command line is a shell script with " + why + ": enable edits"
                + " the flags of one '[exec] vllm serve …' (or sglang) command only; move the flags to args, or make the"
                + " script that one command (the script begins: " + shown + ")");
    }

    /** The script's words, as vLLM sees them. */
    public static List<String> argv(String script) {
        return words(script).stream().map(Word::text).toList();
    }

    /** The value of {@code flag} in the script, if it is there. */
    public static Optional<String> flag(String script, String flag) {
        List<Word> words = words(script);
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i).text();
            if (w.equals(flag)) {
                return Optional.of(i + 1 < words.size() ? words.get(i + 1).text() : "");
            }
            if (w.startsWith(flag + "=")) {
                return Optional.of(w.substring(flag.length() + 1));
            }
        }
        return Optional.empty();
    }

    /** The script with {@code flag} set to {@code value}: its value replaced in place, or the flag appended. */
    public static String withFlag(String script, String flag, String value) {
        List<Word> words = words(script);
        for (int i = 0; i < words.size(); i++) {
            Word w = words.get(i);
            if (w.text().equals(flag) && i + 1 < words.size()) {
                Word v = words.get(i + 1);
                return script.substring(0, v.start()) + quote(value) + script.substring(v.end());
            }
            if (w.text().startsWith(flag + "=")) {
                return script.substring(0, w.start()) + quote(flag + "=" + value) + script.substring(w.end());
            }
        }
        int end = script.stripTrailing().length();
        return script.substring(0, end) + " " + flag + " " + quote(value) + script.substring(end);
    }

    /** The script without {@code flag} (and its value). */
    public static String withoutFlag(String script, String flag) {
        List<Word> words = words(script);
        for (int i = 0; i < words.size(); i++) {
            Word w = words.get(i);
            int end = w.text().equals(flag) && i + 1 < words.size() ? words.get(i + 1).end()
                    : w.text().startsWith(flag + "=") ? w.end() : -1;
            if (end >= 0) {
                int from = w.start();
                while (from > 0 && (script.charAt(from - 1) == ' ' || script.charAt(from - 1) == '\t')) {
                    from--;
                }
                return script.substring(0, from) + script.substring(end);
            }
        }
        return script;
    }

    /** The script without the word {@code flag} (a flag without a value). */
    public static String withoutSwitch(String script, String flag) {
        for (Word w : words(script)) {
            if (w.text().equals(flag)) {
                int from = w.start();
                while (from > 0 && (script.charAt(from - 1) == ' ' || script.charAt(from - 1) == '\t')) {
                    from--;
                }
                return script.substring(0, from) + script.substring(w.end());
            }
        }
        return script;
    }

    /** A word as the shell reads it back: single-quoted unless it needs no quotes. */
    static String quote(String word) {
        if (word.matches("[A-Za-z0-9_@%+=:,./-]+")) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
