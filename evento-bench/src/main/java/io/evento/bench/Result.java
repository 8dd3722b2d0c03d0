package io.evento.bench;

/**
 * One scenario on one backend: the library and its raw baseline, measured side by side.
 *
 * @param scenario what was measured
 * @param backend where
 * @param unit the unit of the rates ({@code commits/s}, {@code events/s}, {@code loads/s}), or
 *     {@code ms} for latencies
 * @param library the library's median rate (or p50 latency), NaN if not measured
 * @param baseline the raw baseline's median rate, NaN if there is none
 * @param spread the library's min–max over the iterations, as text
 * @param baselineSpread the baseline's min–max
 * @param p50 median latency in ms for latency scenarios, NaN otherwise
 * @param p99 99th percentile latency in ms, NaN otherwise
 * @param target the target, as text
 * @param met whether the target is met: "yes", "no" or "-" when there is no target
 * @param note anything that qualifies the figure
 */
record Result(
        String scenario,
        String backend,
        String unit,
        double library,
        double baseline,
        String spread,
        String baselineSpread,
        double p50,
        double p99,
        String target,
        String met,
        String note) {

    /** Library / baseline, NaN without a baseline. */
    double ratio() {
        return Double.isNaN(baseline) || baseline == 0 ? Double.NaN : library / baseline;
    }

    static Result rates(
            String scenario, String backend, String unit, Measure.Pair pair, double targetRatio, String target) {
        double ratio = pair.library().median() / pair.raw().median();
        return new Result(
                scenario,
                backend,
                unit,
                pair.library().median(),
                pair.raw().median(),
                pair.library().spread(),
                pair.raw().spread(),
                Double.NaN,
                Double.NaN,
                target,
                Double.isNaN(targetRatio) ? "-" : ratio >= targetRatio ? "yes" : "no",
                "");
    }

    Result withNote(String text) {
        return new Result(
                scenario, backend, unit, library, baseline, spread, baselineSpread, p50, p99, target, met, text);
    }
}
