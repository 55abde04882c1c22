package io.kvevents.cli;

import io.kvevents.sdk.PodMatch;
import io.kvevents.sdk.ProbeResult;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code cache-probe -o heatmap}: prompts down, pods across, each cell the pod's hit ratio for that prompt as a
 * shade (blank 0 %, then ░ ▒ ▓ █ by quarters), the best pod of each prompt marked; a legend and each pod's
 * mean hit ratio below. Plain characters: it reads in any terminal, a pipe or a CI log.
 */
final class Heatmap {
    private static final String[] SHADES = {"·", "░", "▒", "▓", "█"};

    private Heatmap() {
    }

    static void print(List<ProbeResult> results, PrintWriter out) {
        Set<String> names = new LinkedHashSet<>();
        results.forEach(r -> r.pods().forEach(m -> names.add(m.pod())));
        List<String> pods = new ArrayList<>(names);
        int label = Math.max(6, String.valueOf(results.size()).length() + 7);
        StringBuilder header = new StringBuilder(" ".repeat(label));
        for (int c = 0; c < pods.size(); c++) {
            header.append(' ').append((char) ('A' + c % 26)).append(c >= 26 ? String.valueOf(c / 26) : "").append(' ');
        }
        out.println(header.toString().stripTrailing());
        double[] sums = new double[pods.size()];
        for (int i = 0; i < results.size(); i++) {
            ProbeResult r = results.get(i);
            StringBuilder row = new StringBuilder(String.format("%-" + label + "s", "prompt " + (i + 1)));
            for (int c = 0; c < pods.size(); c++) {
                String pod = pods.get(c);
                double ratio = r.pods().stream().filter(m -> m.pod().equals(pod)).mapToDouble(PodMatch::hitRatio)
                        .findFirst().orElse(0);
                sums[c] += ratio;
                String shade = ratio <= 0 ? SHADES[0] : SHADES[Math.min(4, 1 + (int) (ratio * 4 - 1e-9))];
                boolean best = r.best().contains(pods.get(c));
                row.append(best ? '[' : ' ').append(shade).append(best ? ']' : ' ');
            }
            out.println(row.toString().stripTrailing());
        }
        out.println();
        out.println("· 0 %   ░ ≤ 25 %   ▒ ≤ 50 %   ▓ ≤ 75 %   █ ≤ 100 %   [ ] the prompt's best pod");
        for (int c = 0; c < pods.size(); c++) {
            out.printf("%-3s %-30s mean hit ratio %5.1f%%%n", (char) ('A' + c % 26) + (c >= 26 ? String.valueOf(c / 26) : ""),
                    pods.get(c), results.isEmpty() ? 0 : 100 * sums[c] / results.size());
        }
        out.flush();
    }
}
