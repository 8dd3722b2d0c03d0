package io.evento.bench;

import io.evento.Codec;
import io.evento.CommitBuilder;
import io.evento.Evento;
import io.evento.Loaded;
import io.evento.Projection;
import io.evento.SnapshotPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Loads of one aggregate per second: {@code evento.load(projection, id)} against the raw query of
 * the aggregate's payloads plus the same decode and fold (design target for 1,000 events: at least
 * 0.6 of raw), and a 10,000-event aggregate loaded from a snapshot against a 10-event aggregate
 * loaded without one (target: at most twice the time).
 *
 * <p>Three aggregates of 10, 1,000 and 10,000 {@link BenchEvents.Deposited} events are seeded,
 * untimed, through the library in commits of up to 1,000 events, and the same payloads on the raw
 * side. Both sides fold every event into a {@link State} record (count and sum of amounts), one new
 * record per event; the raw side decodes each payload with {@code Codec.json()}, the library's
 * mapper. Rounds are of fixed duration ({@link Measure#timed}): each loads the same aggregate over
 * and over until the deadline and counts the loads. The 10- and 10,000-event sizes, which have no
 * target of their own, run rounds of half the mode's duration to keep the run short.
 *
 * <p>The snapshot variant uses a second projection with the same handlers and {@code
 * snapshots(State.class, "bench-1", SnapshotPolicy.manual())}; one {@code evento.snapshot(..)} of the
 * 10,000-event aggregate is taken before timing, so every timed load reads the snapshot and finds
 * no event after it. Its baseline is the library's load of the 10-event aggregate without snapshot,
 * timed in the same rounds.
 */
final class LoadScenario implements Scenario {
    /** The aggregate sizes timed, library against raw. */
    private static final int[] SIZES = {10, 1_000, 10_000};

    /** The size with a target. */
    private static final int TARGET_SIZE = 1_000;

    /** Events per commit, when seeding. */
    private static final int COMMIT_SIZE = 1_000;

    /** Where loaded states go, so the loads cannot be optimised away. */
    private static volatile Object sink;

    /**
     * What both sides fold the events into.
     *
     * @param count how many deposits
     * @param sum their total amount
     */
    record State(long count, long sum) {
        static final State ZERO = new State(0, 0);

        State plus(long amount) {
            return new State(count + 1, sum + amount);
        }
    }

    /** The projection loaded without snapshot. */
    static final Projection<State> PLAIN = Projection.builder("bench-load", BenchEvents.class, () -> State.ZERO)
            .on(BenchEvents.Deposited.class, (s, e) -> s.plus(e.data().amount()))
            .build();

    /** The same fold, with manual snapshots. */
    static final Projection<State> SNAPSHOTTED = Projection.builder(
                    "bench-load-snapshot", BenchEvents.class, () -> State.ZERO)
            .on(BenchEvents.Deposited.class, (s, e) -> s.plus(e.data().amount()))
            .snapshots(State.class, "bench-1", SnapshotPolicy.manual())
            .build();

    @Override
    public String name() {
        return "load";
    }

    @Override
    public List<Result> run(Backend backend, Mode mode) throws Exception {
        Mode brief = new Mode(
                mode.name(),
                mode.warmups(),
                mode.iterations(),
                mode.iteration().dividedBy(2),
                mode.catchUpEvents(),
                mode.latencySamples());
        List<Result> results = new ArrayList<>();
        try (Backend.Store store = backend.open(1)) {
            Evento evento =
                    Evento.builder(store.executor()).register(BenchEvents.class).build();
            Raw raw = store.raw();
            Codec codec = Codec.json();
            for (int size : SIZES) {
                seed(evento, raw, codec, id(size), size);
            }
            for (int size : SIZES) {
                String id = id(size);
                check(evento, raw, codec, id, size);
                boolean target = size == TARGET_SIZE;
                RawLoader loader = new RawLoader(raw, codec, id);
                Measure.Pair pair = Measure.timed(
                        target ? mode : brief, deadline -> loadUntil(evento, PLAIN, id, deadline), loader::until);
                results.add(Result.rates(
                                "load " + String.format(java.util.Locale.ROOT, "%,d", size) + " events",
                                backend.name(),
                                "loads/s",
                                pair,
                                target ? 0.6 : Double.NaN,
                                target ? "≥ 0.6 of raw query + decode" : "-")
                        .withNote("no snapshot; both sides decode and fold every event"));
            }

            String big = id(10_000);
            String small = id(10);
            State expected = evento.load(PLAIN, big).orElseThrow().state();
            Loaded<State> snapshot = evento.snapshot(SNAPSHOTTED, big).orElseThrow();
            if (!snapshot.state().equals(expected)
                    || !evento.load(SNAPSHOTTED, big).orElseThrow().state().equals(expected)) {
                throw new IllegalStateException("the snapshot load of " + big + " differs from a full load");
            }
            Measure.Pair pair = Measure.timed(
                    mode,
                    deadline -> loadUntil(evento, SNAPSHOTTED, big, deadline),
                    deadline -> loadUntil(evento, PLAIN, small, deadline));
            results.add(Result.rates(
                            "load 10,000 events with snapshot",
                            backend.name(),
                            "loads/s",
                            pair,
                            0.5,
                            "≥ 0.5 of a 10-event load")
                    .withNote("baseline: library load of a 10-event aggregate without snapshot (target: ≤ 2× its"
                            + " time); snapshot taken at version 10,000"));
        }
        return results;
    }

    private static String id(int size) {
        return "load-" + size;
    }

    /** Seeds one aggregate on both sides, in commits of up to {@link #COMMIT_SIZE} events. */
    private static void seed(Evento evento, Raw raw, Codec codec, String id, int events) {
        for (int version = 0; version < events; ) {
            int size = Math.min(COMMIT_SIZE, events - version);
            CommitBuilder commit = evento.aggregator(id).originalVersion(version);
            List<byte[]> payloads = new ArrayList<>(size);
            for (int i = 0; i < size; i++) {
                BenchEvents.Deposited event = CatchUpScenario.deposit(version + i);
                commit.event(event);
                payloads.add(codec.encode(event));
            }
            commit.commit();
            raw.append(id, version + 1, payloads);
            version += size;
        }
    }

    /** Both sides must fold to the same state before they are timed. */
    private static void check(Evento evento, Raw raw, Codec codec, String id, int events) {
        Optional<Loaded<State>> loaded = evento.load(PLAIN, id);
        State library = loaded.orElseThrow().state();
        State base = new RawLoader(raw, codec, id).load();
        if (library.count() != events || !library.equals(base) || loaded.get().version() != events) {
            throw new IllegalStateException(
                    "loads of " + id + " differ: library " + library + ", raw " + base + ", expected " + events);
        }
    }

    private static long loadUntil(Evento evento, Projection<State> projection, String id, long deadline) {
        long loads = 0;
        Object last;
        do {
            last = evento.load(projection, id).orElseThrow().state();
            loads++;
        } while (System.nanoTime() - deadline < 0);
        sink = last;
        return loads;
    }

    /** The raw load: the aggregate's payloads, decoded with the library's mapper and folded. */
    private static final class RawLoader implements Consumer<byte[]> {
        private final Raw raw;
        private final Codec codec;
        private final String id;
        private State state;

        RawLoader(Raw raw, Codec codec, String id) {
            this.raw = raw;
            this.codec = codec;
            this.id = id;
        }

        @Override
        public void accept(byte[] payload) {
            state = state.plus(
                    codec.decode(payload, BenchEvents.Deposited.class).amount());
        }

        State load() {
            state = State.ZERO;
            raw.load(id, this);
            return state;
        }

        long until(long deadline) {
            long loads = 0;
            State last;
            do {
                last = load();
                loads++;
            } while (System.nanoTime() - deadline < 0);
            sink = last;
            return loads;
        }
    }
}
