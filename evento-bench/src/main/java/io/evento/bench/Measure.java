package io.evento.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Times the library against its baseline: warm-up rounds first, then timed rounds that alternate
 * library and raw, so that a machine getting slower or faster during the run (a checkpoint, another
 * process, a disk whose flushes slow down) weighs on both sides alike.
 *
 * <p>The ratio is the median of the ratios of each library round to the raw round right after it.
 * A server's rates drift during a run by more than the library's cost (PostgreSQL's commit rate,
 * bound by WAL flushes, moved between rounds by 15% and more on this machine); a ratio of the two
 * sides' medians would take the library's median from one moment and the baseline's from another,
 * while each pair shares its moment.
 */
final class Measure {
    private Measure() {}

    /** One timed run: does as much work as it can until {@code deadlineNanos}, returns the count. */
    @FunctionalInterface
    interface Round {
        long run(long deadlineNanos) throws Exception;
    }

    /** One timed run of a fixed amount of work, returning the number of operations done. */
    @FunctionalInterface
    interface Fixed {
        long run() throws Exception;
    }

    /** The rates of several rounds. */
    record Rates(double[] perSecond) {
        double median() {
            double[] sorted = perSecond.clone();
            Arrays.sort(sorted);
            int n = sorted.length;
            return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }

        String spread() {
            double min = Arrays.stream(perSecond).min().orElse(Double.NaN);
            double max = Arrays.stream(perSecond).max().orElse(Double.NaN);
            return format(min) + "–" + format(max);
        }
    }

    /**
     * The library's rates and the baseline's, from the same run: round {@code i} of each ran one
     * after the other.
     */
    record Pair(Rates library, Rates raw) {
        Pair {
            if (library.perSecond().length != raw.perSecond().length) {
                throw new IllegalArgumentException("the two sides ran different numbers of rounds");
            }
        }

        /** The median over the rounds of library / raw. */
        double ratio() {
            return roundRatios().median();
        }

        /** The least and greatest of the rounds' ratios. */
        String ratioSpread() {
            double[] r = roundRatios().perSecond();
            double min = Arrays.stream(r).min().orElse(Double.NaN);
            double max = Arrays.stream(r).max().orElse(Double.NaN);
            return String.format(Locale.ROOT, "%.2f–%.2f", min, max);
        }

        private Rates roundRatios() {
            double[] lib = library.perSecond();
            double[] base = raw.perSecond();
            double[] ratios = new double[lib.length];
            for (int i = 0; i < lib.length; i++) {
                ratios[i] = lib[i] / base[i];
            }
            return new Rates(ratios);
        }
    }

    /** Rounds of a fixed duration, counting operations. */
    static Pair timed(Mode mode, Round library, Round raw) throws Exception {
        Duration d = mode.iteration();
        for (int i = 0; i < mode.warmups(); i++) {
            library.run(System.nanoTime() + d.toNanos() / 2);
            raw.run(System.nanoTime() + d.toNanos() / 2);
        }
        List<Double> lib = new ArrayList<>();
        List<Double> base = new ArrayList<>();
        for (int i = 0; i < mode.iterations(); i++) {
            lib.add(rate(library, d));
            base.add(rate(raw, d));
        }
        return new Pair(rates(lib), rates(base));
    }

    /** Rounds of a fixed amount of work, timing each. */
    static Pair fixed(Mode mode, Fixed library, Fixed raw) throws Exception {
        for (int i = 0; i < mode.warmups(); i++) {
            library.run();
            raw.run();
        }
        List<Double> lib = new ArrayList<>();
        List<Double> base = new ArrayList<>();
        for (int i = 0; i < mode.iterations(); i++) {
            lib.add(rate(library));
            base.add(rate(raw));
        }
        return new Pair(rates(lib), rates(base));
    }

    private static double rate(Round round, Duration d) throws Exception {
        long start = System.nanoTime();
        long ops = round.run(start + d.toNanos());
        return ops / ((System.nanoTime() - start) / 1e9);
    }

    private static double rate(Fixed work) throws Exception {
        long start = System.nanoTime();
        long ops = work.run();
        return ops / ((System.nanoTime() - start) / 1e9);
    }

    private static Rates rates(List<Double> values) {
        return new Rates(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** The q-quantile (0..1) of latencies, by the nearest-rank method. */
    static double percentile(List<Double> values, double q) {
        double[] sorted =
                values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    static String format(double value) {
        if (Double.isNaN(value)) {
            return "-";
        }
        if (value >= 100) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        return String.format(Locale.ROOT, "%.2f", value);
    }
}
