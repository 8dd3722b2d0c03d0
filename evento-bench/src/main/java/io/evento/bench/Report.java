package io.evento.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** Prints the results as a table and writes them as JSON. */
final class Report {
    private Report() {}

    static void table(List<Result> results, PrintStream out) {
        String header = String.format(
                Locale.ROOT,
                "%-38s %-9s %-9s %14s %14s %7s %-11s %8s %8s  %-28s %s",
                "scenario",
                "backend",
                "unit",
                "library",
                "raw",
                "ratio",
                "round range",
                "p50 ms",
                "p99 ms",
                "target",
                "met");
        out.println(header);
        out.println("-".repeat(header.length() + 4));
        for (Result r : results) {
            out.println(String.format(
                    Locale.ROOT,
                    "%-38s %-9s %-9s %14s %14s %7s %-11s %8s %8s  %-28s %s%s",
                    r.scenario(),
                    r.backend(),
                    r.unit(),
                    Measure.format(r.library()),
                    Measure.format(r.baseline()),
                    Double.isNaN(r.ratio()) ? "-" : String.format(Locale.ROOT, "%.2f", r.ratio()),
                    r.ratioSpread(),
                    Measure.format(r.p50()),
                    Measure.format(r.p99()),
                    r.target(),
                    r.met(),
                    r.note().isEmpty() ? "" : "  (" + r.note() + ")"));
        }
    }

    static void json(List<Result> results, Mode mode, Map<String, String> versions, Path file) throws IOException {
        ObjectMapper mapper = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
        ObjectNode root = mapper.createObjectNode();
        root.put("mode", mode.name());
        root.put("when", Instant.now().toString());
        root.put("jvm", System.getProperty("java.vm.name") + " " + Runtime.version());
        root.put("cores", Runtime.getRuntime().availableProcessors());
        root.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        ObjectNode dbs = root.putObject("databases");
        versions.forEach(dbs::put);
        ArrayNode rows = root.putArray("results");
        for (Result r : results) {
            ObjectNode row = rows.addObject();
            row.put("scenario", r.scenario());
            row.put("backend", r.backend());
            row.put("database", versions.getOrDefault(r.backend(), ""));
            row.put("unit", r.unit());
            number(row, "library", r.library());
            number(row, "baseline", r.baseline());
            number(row, "ratio", r.ratio());
            row.put("ratioSpread", r.ratioSpread());
            row.put("librarySpread", r.spread());
            row.put("baselineSpread", r.baselineSpread());
            number(row, "p50", r.p50());
            number(row, "p99", r.p99());
            row.put("target", r.target());
            row.put("met", r.met());
            row.put("note", r.note());
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        mapper.writeValue(file.toFile(), root);
    }

    private static void number(ObjectNode row, String field, double value) {
        if (Double.isNaN(value)) {
            row.putNull(field);
        } else {
            row.put(field, Math.round(value * 100) / 100.0);
        }
    }
}
