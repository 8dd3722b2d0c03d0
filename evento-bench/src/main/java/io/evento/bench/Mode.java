package io.evento.bench;

import java.time.Duration;

/**
 * How long to measure: {@code quick} runs every scenario on every backend in under five minutes on
 * two cores; {@code full} measures longer, with more iterations and the one-million-event catch-up.
 *
 * @param warmups untimed iterations before measuring, per side
 * @param iterations timed iterations, per side (library and raw alternate)
 * @param iteration how long one timed iteration of an append scenario runs
 * @param catchUpEvents how many events the catch-up scenario reads
 * @param latencySamples how many commits the latency scenario times
 */
record Mode(String name, int warmups, int iterations, Duration iteration, int catchUpEvents, int latencySamples) {
    /**
     * Four warm-up rounds of half a second per side: with one, the library's first timed rounds ran
     * before the JIT had compiled its path (a fresh JVM's 1 s rounds of PostgreSQL appends: 0.54 and
     * 0.66 of raw, then 0.88–1.03), and quick mode read 0.73–0.79 where full mode reads 0.94.
     */
    static final Mode QUICK = new Mode("quick", 4, 3, Duration.ofSeconds(1), 100_000, 200);

    static final Mode FULL = new Mode("full", 2, 5, Duration.ofSeconds(5), 1_000_000, 2_000);

    static Mode of(String name) {
        return switch (name) {
            case "quick" -> QUICK;
            case "full" -> FULL;
            default -> throw new IllegalArgumentException("mode must be quick or full, was " + name);
        };
    }
}
