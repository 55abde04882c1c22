package io.kvevents.cli;

import com.google.gson.FormattingStyle;
import com.google.gson.GsonBuilder;

/**
 * {@code -o json} as kubectl prints it: four spaces an indent level (cli-runtime 69e8693b2560 pkg/printers/json.go,
 * {@code json.MarshalIndent(obj, "", "    ")}), no HTML escaping.
 */
final class KubectlJson {
    private KubectlJson() {
    }

    static GsonBuilder pretty() {
        return new GsonBuilder().setFormattingStyle(FormattingStyle.PRETTY.withIndent("    ")).disableHtmlEscaping();
    }
}
