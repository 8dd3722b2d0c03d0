package io.evento.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Runs the benchmarks: every scenario on every backend, the library and its raw baseline side by
 * side in the same run, then prints a table and writes {@code target/bench-results.json}.
 *
 * <pre>
 * ./mvnw -q -pl evento-bench -am package -Dmaven.test.skip -Dbench=quick   (or -Dbench=full)
 * </pre>
 *
 * Options (after the class name when run directly): {@code --mode=quick|full},
 * {@code --backends=postgres,mariadb,sqlite,rocksdb}, {@code --scenarios=append1,append100,catchup,load,latency}.
 */
public final class Bench {
    private Bench() {}

    /**
     * Runs the benchmark.
     *
     * @param args options, see the class comment
     * @throws Exception if the results cannot be written
     */
    public static void main(String[] args) throws Exception {
        Map<String, String> options = new LinkedHashMap<>();
        for (String arg : args) {
            if (!arg.startsWith("--") || !arg.contains("=")) {
                throw new IllegalArgumentException("options look like --name=value, got " + arg);
            }
            options.put(arg.substring(2, arg.indexOf('=')), arg.substring(arg.indexOf('=') + 1));
        }
        Mode mode = Mode.of(options.getOrDefault("mode", "quick"));
        if (options.containsKey("child")) {
            runChild(options, mode);
            return;
        }
        Set<String> backendNames = selection(options, "backends");
        Set<String> scenarioNames = selection(options, "scenarios");
        List<Backend> backends = Backend.all().stream()
                .filter(b -> backendNames.isEmpty() || backendNames.contains(b.name()))
                .toList();
        List<Scenario> scenarios = Scenario.all().stream()
                .filter(s -> scenarioNames.isEmpty() || scenarioNames.contains(s.name()))
                .toList();

        long start = System.nanoTime();
        Map<String, String> versions = new LinkedHashMap<>();
        List<Result> results = new ArrayList<>();
        System.out.printf(
                "Evento benchmarks, %s mode, %d cores, %s%n",
                mode.name(), Runtime.getRuntime().availableProcessors(), Runtime.version());
        for (Backend backend : backends) {
            try {
                versions.put(backend.name(), backend.version());
            } catch (RuntimeException e) {
                versions.put(backend.name(), "unavailable: " + e.getMessage());
            }
        }
        for (Scenario scenario : scenarios) {
            for (Backend backend : backends) {
                System.out.printf("  %s on %s ...%n", scenario.name(), backend.name());
                try {
                    results.addAll(scenario.run(backend, mode));
                } catch (Exception e) {
                    results.add(Result.alone(
                            scenario.name(),
                            backend.name(),
                            "-",
                            Double.NaN,
                            "",
                            Double.NaN,
                            Double.NaN,
                            "-",
                            "error",
                            e.toString()));
                }
            }
        }
        System.out.println();
        Report.table(results, System.out);
        Path file = Path.of("target", "bench-results.json");
        Report.json(results, mode, versions, file);
        System.out.printf(
                "%nWrote %s (%d results) in %.0f s%n",
                file.toAbsolutePath(), results.size(), (System.nanoTime() - start) / 1e9);
    }

    /** A scenario part that must run in a JVM of its own, such as the catch-up in -Xmx128m. */
    private static void runChild(Map<String, String> options, Mode mode) throws Exception {
        String child = options.get("child");
        String backendName = options.get("backend");
        Backend backend = Backend.all().stream()
                .filter(b -> b.name().equals(backendName))
                .findFirst()
                .orElseThrow(() -> new IllegalArgumentException("unknown backend " + backendName));
        if (!child.equals("catchup-128m")) {
            throw new IllegalArgumentException("unknown child " + child);
        }
        Result result = CatchUpScenario.lowHeapChild(backend, mode);
        CatchUpScenario.printChildResult(result.library());
    }

    private static Set<String> selection(Map<String, String> options, String name) {
        String value = options.getOrDefault(name, "");
        return value.isBlank()
                ? Set.of()
                : Arrays.stream(value.split(",")).map(String::trim).collect(Collectors.toSet());
    }
}
