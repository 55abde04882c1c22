package io.kvevents.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * No GraalVM can be installed here, so the native build's metadata is proven on the JVM: every
 * command is registered for reflection, every class and member our metadata names exists, and every
 * resource the code loads is included.
 */
class NativeMetadataTest {
    private static final String OURS = "/META-INF/native-image/io.kvevents/kubectl-kvevents/";
    private static final String PICOCLI = "/META-INF/native-image/picocli-generated/io.kvevents/kubectl-kvevents/";

    private static JsonElement json(String resource) throws IOException {
        try (InputStream in = NativeMetadataTest.class.getResourceAsStream(resource)) {
            assertTrue(in != null, resource + " is missing from the class path");
            return JsonParser.parseReader(new InputStreamReader(in, StandardCharsets.UTF_8));
        }
    }

    private static List<Path> sources() throws IOException {
        try (Stream<Path> files = Files.walk(Path.of("src/main/java"))) {
            return files.filter(f -> f.toString().endsWith(".java")).toList();
        }
    }

    @Test
    void everyCommandClassIsRegisteredForReflectionByPicocliCodegen() throws IOException {
        Set<String> registered = new java.util.HashSet<>();
        for (JsonElement e : json(PICOCLI + "reflect-config.json").getAsJsonArray()) {
            registered.add(e.getAsJsonObject().get("name").getAsString());
        }
        List<String> commands = new ArrayList<>();
        for (Path f : sources()) {
            String text = Files.readString(f);
            if (text.contains("@Command(") || text.contains("@Option(") || text.contains("@Mixin")) {
                commands.add("io.kvevents.cli." + f.getFileName().toString().replace(".java", ""));
            }
        }
        assertTrue(commands.size() >= 10, commands.toString());
        List<String> missing = commands.stream().filter(c -> !registered.contains(c)).toList();
        assertEquals(List.of(), missing);
    }

    /**
     * picocli creates an option's converter, parameter consumer and preprocessor reflectively; picocli-codegen 4.7.7
     * registers converters, not preprocessors or consumers, so our metadata must name those.
     */
    @Test
    void everyPreprocessorAndParameterConsumerIsRegistered() throws IOException {
        Set<String> registered = new java.util.HashSet<>();
        for (String file : List.of(PICOCLI, OURS)) {
            for (JsonElement e : json(file + "reflect-config.json").getAsJsonArray()) {
                registered.add(e.getAsJsonObject().get("name").getAsString());
            }
        }
        Pattern reflective = Pattern.compile("(?:preprocessor|parameterConsumer) = (\\w+)\\.class");
        List<String> named = new ArrayList<>();
        for (Path f : sources()) {
            java.util.regex.Matcher m = reflective.matcher(Files.readString(f));
            while (m.find()) {
                named.add("io.kvevents.cli." + f.getFileName().toString().replace(".java", "") + "$" + m.group(1));
            }
        }
        assertTrue(named.contains("io.kvevents.cli.ClusterOptions$AttachedOnly"), named.toString());
        assertEquals(List.of(), named.stream().filter(n -> !registered.contains(n)).toList());
    }

    @Test
    void everyClassAndMemberOurMetadataNamesExists() throws Exception {
        JsonArray config = json(OURS + "reflect-config.json").getAsJsonArray();
        for (JsonElement e : config) {
            JsonObject entry = e.getAsJsonObject();
            Class<?> type = Class.forName(entry.get("name").getAsString());
            if (entry.has("methods")) {
                for (JsonElement m : entry.getAsJsonArray("methods")) {
                    List<Class<?>> params = new ArrayList<>();
                    for (JsonElement p : m.getAsJsonObject().getAsJsonArray("parameterTypes")) {
                        params.add(switch (p.getAsString()) {
                            case "int" -> int.class;
                            case "byte[]" -> byte[].class;
                            default -> Class.forName(p.getAsString());
                        });
                    }
                    type.getDeclaredConstructor(params.toArray(Class<?>[]::new));
                }
            }
            if (entry.has("fields")) {
                for (JsonElement f : entry.getAsJsonArray("fields")) {
                    type.getDeclaredField(f.getAsJsonObject().get("name").getAsString());
                }
            }
        }
    }

    @Test
    void everyResourceTheCodeLoadsIsIncluded() throws IOException {
        List<Pattern> includes = new ArrayList<>();
        for (JsonElement e : json(OURS + "resource-config.json").getAsJsonObject().getAsJsonObject("resources")
                .getAsJsonArray("includes")) {
            includes.add(Pattern.compile(e.getAsJsonObject().get("pattern").getAsString()));
        }
        Pattern load = Pattern.compile("getResourceAsStream\\(\"/([^\"]+)\"\\)");
        Set<String> loaded = new java.util.TreeSet<>();
        for (Path f : sources()) {
            Matcher m = load.matcher(Files.readString(f));
            while (m.find()) {
                loaded.add(m.group(1));
            }
        }
        assertTrue(!loaded.isEmpty());
        List<String> missing = loaded.stream().filter(r -> includes.stream().noneMatch(p -> p.matcher(r).matches()))
                .collect(Collectors.toList());
        assertEquals(List.of(), missing);
    }
}
