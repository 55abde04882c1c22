package io.kvevents.cli;

import io.kvevents.sdk.KubeContext;
import io.kvevents.sdk.ModelPods;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * {@code kubectl-kvevents __complete WORD…}: completion candidates in the format kubectl (1.26+)
 * expects from a plugin's {@code kubectl_complete-kvevents}: one candidate per line, then cobra's
 * {@code :DIRECTIVE} line ({@code :4} no file completion, {@code :0} let the shell complete file names).
 * It reads the command model, so it never falls behind the commands; the words are not parsed as options.
 */
final class Completion {
    static final String COMMAND = "__complete";
    private static final int DEFAULT = 0;
    private static final int NO_FILES = 4;

    private Completion() {
    }

    static int complete(CommandLine root, List<String> words, PrintWriter out) {
        List<String> typed = words.isEmpty() ? List.of("") : words;
        String current = typed.get(typed.size() - 1);
        CommandSpec command = root.getCommandSpec();
        OptionSpec pending = null;
        Map<String, String> values = new HashMap<>();
        for (String word : typed.subList(0, typed.size() - 1)) {
            if (pending != null) {
                values.put(pending.longestName(), word);
                pending = null; // this word was the option's value
            } else if (word.startsWith("-")) {
                OptionSpec o = command.findOption(word.contains("=") ? word.substring(0, word.indexOf('=')) : word);
                if (o != null && word.contains("=")) {
                    values.put(o.longestName(), word.substring(word.indexOf('=') + 1));
                }
                if (o != null && o.arity().min() > 0 && !word.contains("=")) {
                    pending = o;
                }
            } else if (command.subcommands().containsKey(word)) {
                command = command.subcommands().get(word).getCommandSpec();
            }
        }
        List<String> candidates = new ArrayList<>();
        int directive = NO_FILES;
        if (pending != null) {
            if (pending.completionCandidates() != null) {
                pending.completionCandidates().forEach(candidates::add);
            } else if (pending.type() == Path.class || pending.paramLabel().contains("FILE")) {
                candidates.addAll(recordings());
                directive = DEFAULT;
            }
        } else if (current.startsWith("-")) {
            for (OptionSpec o : command.options()) {
                for (String name : o.names()) {
                    if (name.startsWith("--") && !o.hidden()) {
                        candidates.add(name);
                    }
                }
            }
        } else {
            command.subcommands().forEach((name, sub) -> {
                if (!sub.getCommandSpec().usageMessage().hidden()) {
                    candidates.add(name);
                }
            });
            if (command.positionalParameters().size() > 0 && command.positionalParameters().get(0).completionCandidates() != null) {
                command.positionalParameters().get(0).completionCandidates().forEach(candidates::add);
            }
            if (command.positionalParameters().size() > 0 && command.positionalParameters().get(0).paramLabel().contains("MODEL")) {
                candidates.addAll(models(values));
            }
        }
        candidates.stream().filter(c -> c.startsWith(current)).distinct().forEach(out::println);
        out.println(":" + directive);
        out.flush();
        return ExitCodes.OK;
    }

    /**
     * The model Deployments of the namespace the typed flags name, when a cluster answers within a second;
     * nothing otherwise (a completion must never hang or print errors into the shell).
     */
    private static List<String> models(Map<String, String> flags) {
        try {
            String kubeconfig = flags.get("--kubeconfig");
            KubeContext context = new KubeContext(kubeconfig == null ? List.of() : List.of(Path.of(kubeconfig)),
                    flags.get("--context"), flags.get("--namespace"), false);
            return ModelPods.models(context, Duration.ofSeconds(1));
        } catch (RuntimeException e) {
            return List.of();
        }
    }

    /** Recordings in the working directory, offered first for file options (the shell adds the rest). */
    private static List<String> recordings() {
        try (Stream<Path> files = Files.list(Path.of("."))) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jsonl")).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }
}
