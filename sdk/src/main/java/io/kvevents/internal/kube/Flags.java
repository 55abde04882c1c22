package io.kvevents.internal.kube;

import java.util.List;

/** Reading a container's command line as vLLM's argument parser does. */
public final class Flags {
    private Flags() {
    }

    /** The value of {@code --flag=v} or {@code --flag v}, or null when the flag is absent. */
    public static String value(List<String> words, String flag) {
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (w.startsWith(flag + "=")) {
                return w.substring(flag.length() + 1);
            }
            if (w.equals(flag) && i + 1 < words.size()) {
                return words.get(i + 1);
            }
        }
        return null;
    }
}
