package io.evento.bench;

import io.evento.Codec;
import io.evento.CommitBuilder;
import io.evento.Evento;
import io.evento.PageRequest;
import io.evento.RoutingFilter;
import io.evento.spi.ReadQuery;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Appends with optimistic concurrency: each writer owns an aggregate and commits at the version it
 * expects ({@code originalVersion}), as a command handler that just loaded the aggregate does; the
 * store's unique key checks it. The raw side inserts the same rows with the same key.
 *
 * <p>With one event per commit, eight writers run at once (the commit rate is what matters); with
 * a hundred, two (the event rate is what matters, and eight would only queue on two cores).
 */
final class AppendScenario implements Scenario {
    private final int eventsPerCommit;
    private final int writers;

    AppendScenario(int eventsPerCommit) {
        this.eventsPerCommit = eventsPerCommit;
        this.writers = eventsPerCommit == 1 ? 8 : 2;
    }

    @Override
    public String name() {
        return "append" + eventsPerCommit;
    }

    @Override
    public List<Result> run(Backend backend, Mode mode) throws Exception {
        try (Backend.Store store = backend.open(writers)) {
            Evento evento =
                    Evento.builder(store.executor()).register(BenchEvents.class).build();
            BenchEvents.Deposited event = new BenchEvents.Deposited(1_250, "ref-0000000001", "salary, november");
            byte[] payload = Codec.json().encode(event);
            List<byte[]> payloads = new ArrayList<>();
            for (int i = 0; i < eventsPerCommit; i++) {
                payloads.add(payload);
            }
            String[] libraryIds = new String[writers];
            int[] libraryVersions = new int[writers];
            String[] rawIds = new String[writers];
            int[] rawVersions = new int[writers];
            for (int w = 0; w < writers; w++) {
                libraryIds[w] = "lib-" + w + "-" + UUID.randomUUID();
                rawIds[w] = "raw-" + w + "-" + UUID.randomUUID();
            }
            Measure.Pair pair = Measure.timed(
                    mode,
                    deadline -> {
                        long commits = concurrently(deadline, w -> {
                            CommitBuilder commit =
                                    evento.aggregator(libraryIds[w]).originalVersion(libraryVersions[w]);
                            for (int i = 0; i < eventsPerCommit; i++) {
                                commit.event(event);
                            }
                            commit.commit();
                            libraryVersions[w] += eventsPerCommit;
                        });
                        // The round ends when its events are readable in the global order. Only
                        // MariaDB has work left here (positioning what its last pass did not
                        // cover); untimed, that work would run into the raw round instead.
                        store.executor()
                                .read(new ReadQuery(
                                        List.of(),
                                        RoutingFilter.ALL,
                                        new PageRequest(PageRequest.Direction.BACKWARD, 1, Optional.empty())));
                        return commits;
                    },
                    deadline -> concurrently(deadline, w -> {
                        store.raw().append(rawIds[w], rawVersions[w] + 1, payloads);
                        rawVersions[w] += eventsPerCommit;
                    }));
            String scenario = eventsPerCommit == 1
                    ? "append, 1 event/commit, " + writers + " writers"
                    : "append, " + eventsPerCommit + " events/commit, " + writers + " writers";
            double target = target(backend.name());
            String targetText = "ratio ≥ " + target
                    + (eventsPerCommit == 1 && backend.name().equals("mariadb") ? " (raw is not skip-free)" : "");
            Result result = Result.rates(
                    scenario,
                    backend.name(),
                    eventsPerCommit == 1 ? "commits/s" : "events/s",
                    scale(pair, eventsPerCommit),
                    target,
                    targetText);
            return List.of(result);
        }
    }

    private double target(String backend) {
        if (eventsPerCommit > 1) {
            return 0.8;
        }
        return switch (backend) {
            case "postgres" -> 0.9;
            case "mariadb" -> 0.7;
            default -> 0.8;
        };
    }

    /** Commit rates become event rates for multi-event commits. */
    private static Measure.Pair scale(Measure.Pair pair, int factor) {
        return new Measure.Pair(scale(pair.library(), factor), scale(pair.raw(), factor));
    }

    private static Measure.Rates scale(Measure.Rates rates, int factor) {
        double[] scaled = rates.perSecond().clone();
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] *= factor;
        }
        return new Measure.Rates(scaled);
    }

    /** One writer's commit. */
    @FunctionalInterface
    private interface Commit {
        void run(int writer) throws Exception;
    }

    /** Runs the writers until the deadline and counts their commits. */
    private long concurrently(long deadlineNanos, Commit commit) throws Exception {
        AtomicLong commits = new AtomicLong();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch start = new CountDownLatch(1);
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
            int writer = w;
            threads.add(Thread.ofPlatform().name("bench-writer-" + w).start(() -> {
                try {
                    start.await();
                    long done = 0;
                    while (System.nanoTime() < deadlineNanos) {
                        commit.run(writer);
                        done++;
                    }
                    commits.addAndGet(done);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                }
            }));
        }
        start.countDown();
        for (Thread t : threads) {
            t.join();
        }
        if (failure.get() != null) {
            throw new IllegalStateException("a writer failed", failure.get());
        }
        return commits.get();
    }
}
