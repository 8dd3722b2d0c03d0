package io.evento.bench;

import io.evento.Evento;
import io.evento.SubscriptionHandle;
import io.evento.spi.Executor;
import io.evento.spi.ForwardingExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Commit → handler latency with a live subscription (design target, with push wake-up on
 * PostgreSQL: p50 ≤ 10 ms, p99 ≤ 50 ms).
 *
 * <p>One writer thread commits one {@link BenchEvents.Deposited} event at a time to one aggregate,
 * on {@code store.executor()}, about every 5 ms. The event's {@code amount} is its sequence number
 * and its {@code reference} the writer's {@link System#nanoTime()} taken just before {@code
 * commit()} (the payload is encoded inside {@code commit()}, so that is included). A subscription
 * ({@code .all()}, default chunk size and poll interval of 1 s) started beforehand reads {@code
 * System.nanoTime()} first thing in its handler; the difference is one sample, in ms. The first
 * event is a ping the writer waits for, so the subscription is running; then a warm-up of a tenth
 * of the samples (at least 50) is committed and not recorded; then {@link Mode#latencySamples()}
 * timed commits.
 *
 * <p>Variants, by backend:
 *
 * <ul>
 *   <li>PostgreSQL: the subscription runs on a second executor ({@code store.reopen()}), as another
 *       process would, woken by LISTEN/NOTIFY — the target's case. Then the same with the second
 *       executor wrapped so that {@code onCommit} never calls back: pure polling, reported with no
 *       target.
 *   <li>the others (SQLite, MariaDB, RocksDB): their executors announce only their own commits, so
 *       the subscription on the writer's own executor, woken in-process, is measured and held to
 *       the same target as PostgreSQL's push. A subscription on {@code store.reopen()} is measured
 *       too, without target: on SQLite and MariaDB a second executor, woken by polling only; on
 *       RocksDB, which one process opens once, a view of the writer's executor (the note says
 *       which was seen).
 * </ul>
 */
final class LatencyScenario implements Scenario {
    /** The writer's pace. */
    private static final long PACE_NANOS = Duration.ofMillis(5).toNanos();

    /** The target, as text. */
    private static final String TARGET = "p50 ≤ 10 ms, p99 ≤ 50 ms";

    /** How long the first event may take to arrive (polling, a lease to take). */
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(30);

    /** How long the last samples may take to arrive after the last commit. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(30);

    /** Distinguishes the aggregates and subscription keys of successive runs. */
    private static final AtomicLong RUNS = new AtomicLong();

    @Override
    public String name() {
        return "latency";
    }

    @Override
    public List<Result> run(Backend backend, Mode mode) throws Exception {
        List<Result> results = new ArrayList<>();
        try (Backend.Store store = backend.open(2)) {
            Evento writer = evento(store.executor());
            Executor other = store.reopen();
            boolean postgres = backend.name().equals("postgres");
            if (postgres) {
                Samples push = measure(writer, evento(other), mode);
                results.add(push.result(
                        "latency, push (LISTEN/NOTIFY)",
                        backend,
                        TARGET,
                        true,
                        "subscription on a second executor (reopen()), as another process; woken by NOTIFY"));
                Samples polling = measure(writer, evento(new NoPush(other)), mode);
                results.add(polling.result(
                        "latency, polling (no push)",
                        backend,
                        "-",
                        false,
                        "subscription on a second executor whose onCommit never calls back: polls every 1 s"));
            } else {
                Samples local = measure(writer, writer, mode);
                results.add(local.result(
                        "latency, in-process wake-up",
                        backend,
                        TARGET,
                        true,
                        "subscription on the writer's executor, woken in-process after each commit (the"
                                + " design states the target for PostgreSQL push)"));
                Samples across = measure(writer, evento(other), mode);
                // What woke it depends on what reopen() gives: a second executor polls (these
                // executors announce only their own commits), but RocksDB allows one open per
                // directory per process, so there reopen() is a view of the writer's executor.
                boolean polled = across.p50() >= 100;
                results.add(across.result(
                        "latency, other executor",
                        backend,
                        "-",
                        false,
                        "subscription on reopen()'s executor: "
                                + (polled
                                        ? "a second executor, which hears only its own commits, so it polled every 1 s"
                                        : "woken at once, so reopen() shares the writer's notifications here (RocksDB:"
                                                + " one open per directory per process, reopen() is the writer's"
                                                + " executor)")));
            }
        }
        return results;
    }

    private static Evento evento(Executor executor) {
        return Evento.builder(executor).register(BenchEvents.class).build();
    }

    /** Commits the ping, the warm-up and the samples on {@code writer}, received on {@code reader}. */
    private static Samples measure(Evento writer, Evento reader, Mode mode) throws InterruptedException {
        long run = RUNS.incrementAndGet();
        String id = "latency-" + run;
        int samples = mode.latencySamples();
        int warmup = Math.max(50, samples / 10);
        int total = 1 + warmup + samples;
        double[] latencies = new double[samples];
        boolean[] seen = new boolean[total];
        CountDownLatch ready = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(samples);
        SubscriptionHandle handle = reader.subscription("bench-latency-" + run)
                .on(BenchEvents.Deposited.class, (e, ctx) -> {
                    long now = System.nanoTime();
                    if (!e.aggregatorId().equals(id)) {
                        return; // an earlier run's event: the subscription reads from the start
                    }
                    BenchEvents.Deposited d = e.data();
                    int seq = (int) d.amount();
                    if (seq == 0) {
                        ready.countDown();
                        return;
                    }
                    int sample = seq - 1 - warmup;
                    // At least once: a redelivered event is counted once.
                    if (sample >= 0 && !seen[seq]) {
                        seen[seq] = true;
                        latencies[sample] = (now - Long.parseLong(d.reference())) / 1e6;
                        done.countDown();
                    }
                })
                .all()
                .start();
        try {
            commit(writer, id, 0);
            if (!ready.await(READY_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException(
                        "the subscription did not receive its first event in " + READY_TIMEOUT + failure(handle));
            }
            long next = System.nanoTime();
            for (int seq = 1; seq < total; seq++) {
                next += PACE_NANOS;
                // parkNanos may return early (a stale permit, say): the pace holds only in a loop.
                for (long wait = next - System.nanoTime(); wait > 0; wait = next - System.nanoTime()) {
                    LockSupport.parkNanos(wait);
                }
                commit(writer, id, seq);
            }
            if (!done.await(DRAIN_TIMEOUT.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new IllegalStateException("only " + (samples - done.getCount()) + " of " + samples
                        + " samples arrived" + failure(handle));
            }
        } finally {
            handle.shutdown();
        }
        // The latch's count-downs happen before await returns: the samples are visible here.
        return new Samples(latencies);
    }

    /** Commits event {@code seq} (version {@code seq + 1}), stamped just before the commit. */
    private static void commit(Evento writer, String id, int seq) {
        BenchEvents.Deposited event = new BenchEvents.Deposited(seq, Long.toString(System.nanoTime()), "latency probe");
        writer.aggregator(id).originalVersion(seq).event(event).commit();
    }

    private static String failure(SubscriptionHandle handle) {
        return handle.failure().map(t -> "; the subscription failed: " + t).orElse("");
    }

    /** The latencies of one run, in ms. */
    private record Samples(double[] latencies) {
        double p50() {
            return Measure.percentile(Arrays.stream(latencies).boxed().toList(), 0.50);
        }

        Result result(String scenario, Backend backend, String target, boolean targeted, String note) {
            List<Double> values = Arrays.stream(latencies).boxed().toList();
            double p50 = Measure.percentile(values, 0.50);
            double p99 = Measure.percentile(values, 0.99);
            double min = Arrays.stream(latencies).min().orElse(Double.NaN);
            double max = Arrays.stream(latencies).max().orElse(Double.NaN);
            String met = !targeted ? "-" : p50 <= 10 && p99 <= 50 ? "yes" : "no";
            return Result.alone(
                    scenario,
                    backend.name(),
                    "ms",
                    p50,
                    Measure.format(min) + "–" + Measure.format(max),
                    p50,
                    p99,
                    target,
                    met,
                    note + "; " + latencies.length + " samples, one commit every 5 ms");
        }
    }

    /**
     * An executor that never announces commits: every call goes to the delegate but {@link
     * #onCommit}, which registers nothing, so subscriptions on it only poll. Closing it leaves the
     * delegate open (its store closes it).
     */
    private static final class NoPush extends ForwardingExecutor {
        NoPush(Executor delegate) {
            super(delegate);
        }

        @Override
        public Registration onCommit(Runnable listener) {
            return () -> {};
        }

        @Override
        public void close() {
            // The store closes the delegate.
        }
    }
}
