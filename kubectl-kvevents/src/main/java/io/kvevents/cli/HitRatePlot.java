package io.kvevents.cli;

import io.kvevents.sdk.Simulation;
import java.util.List;
import java.util.Locale;

/**
 * {@code simulate --plot FILE}: each policy's hit rate so far along the trace (a point per hundredth of it) as an
 * SVG line chart, axes in percent and requests, a legend with each policy's overall rate. Self-contained SVG 1.1:
 * a browser, an image viewer or a README shows it.
 */
final class HitRatePlot {
    private static final int WIDTH = 800;
    private static final int HEIGHT = 420;
    private static final int LEFT = 60;
    private static final int RIGHT = 180;
    private static final int TOP = 30;
    private static final int BOTTOM = 50;
    private static final String[] COLOURS = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e"};

    private HitRatePlot() {
    }

    static String svg(List<Simulation.PolicyResult> results, String title) {
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = HEIGHT - TOP - BOTTOM;
        StringBuilder s = new StringBuilder();
        s.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n")
                .append("<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"").append(WIDTH)
                .append("\" height=\"").append(HEIGHT).append("\" font-family=\"sans-serif\" font-size=\"12\">\n")
                .append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n")
                .append("<text x=\"").append(LEFT).append("\" y=\"18\" font-size=\"14\">").append(escape(title))
                .append("</text>\n");
        for (int pct = 0; pct <= 100; pct += 20) {
            double y = TOP + plotH - plotH * pct / 100.0;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
                    LEFT, y, LEFT + plotW, y));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%d%%</text>%n",
                    LEFT - 6, y + 4, pct));
        }
        long requests = results.isEmpty() ? 0 : results.get(0).requests();
        s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
                LEFT, TOP + plotH, LEFT + plotW, TOP + plotH));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"middle\">requests (%d in all)</text>%n",
                LEFT + plotW / 2, HEIGHT - 12, requests));
        s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">0</text>%n<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%d</text>%n",
                LEFT, TOP + plotH + 16, LEFT + plotW, TOP + plotH + 16, requests));
        for (int i = 0; i < results.size(); i++) {
            Simulation.PolicyResult r = results.get(i);
            String colour = COLOURS[i % COLOURS.length];
            double[] w = r.curve();
            StringBuilder points = new StringBuilder();
            for (int k = 0; k < w.length; k++) {
                double x = LEFT + (w.length == 1 ? plotW : plotW * (k + 1.0) / w.length);
                double y = TOP + plotH - plotH * Math.max(0, Math.min(1, w[k]));
                points.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            s.append("<polyline class=\"policy\" data-policy=\"").append(r.policy().label()).append("\" fill=\"none\" stroke=\"")
                    .append(colour).append("\" stroke-width=\"2\" points=\"").append(points.toString().strip()).append("\"/>\n");
            int ly = TOP + 20 + 22 * i;
            s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"%s\" stroke-width=\"3\"/>%n",
                    LEFT + plotW + 15, ly - 4, LEFT + plotW + 40, ly - 4, colour));
            s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s %.1f%%</text>%n", LEFT + plotW + 46, ly,
                    escape(r.policy().label()), 100 * r.hitRate()));
        }
        return s.append("</svg>\n").toString();
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
