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
 * @param ratio library / baseline: the median of the rounds' ratios (see {@link Measure}), NaN
 *     without a baseline
 * @param ratioSpread the least and greatest of the rounds' ratios, as text, "-" without a baseline
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
        double ratio,
        String ratioSpread,
        double p50,
        double p99,
        String target,
        String met,
        String note) {

    /** A result without a baseline: a latency, a run that failed, a measurement of its own. */
    static Result alone(
            String scenario,
            String backend,
            String unit,
            double value,
            String spread,
            double p50,
            double p99,
            String target,
            String met,
            String note) {
        return new Result(
                scenario, backend, unit, value, Double.NaN, spread, "-", Double.NaN, "-", p50, p99, target, met, note);
    }

    static Result rates(
            String scenario, String backend, String unit, Measure.Pair pair, double targetRatio, String target) {
        double ratio = pair.ratio();
        return new Result(
                scenario,
                backend,
                unit,
                pair.library().median(),
                pair.raw().median(),
                pair.library().spread(),
                pair.raw().spread(),
                ratio,
                pair.ratioSpread(),
                Double.NaN,
                Double.NaN,
                target,
                Double.isNaN(targetRatio) ? "-" : ratio >= targetRatio ? "yes" : "no",
                "");
    }

    Result withNote(String text) {
        return new Result(
                scenario,
                backend,
                unit,
                library,
                baseline,
                spread,
                baselineSpread,
                ratio,
                ratioSpread,
                p50,
                p99,
                target,
                met,
                text);
    }
}
