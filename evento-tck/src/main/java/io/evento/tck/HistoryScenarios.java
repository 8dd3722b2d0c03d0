package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.evento.AsOf;
import io.evento.Codec;
import io.evento.Edge;
import io.evento.Evento;
import io.evento.InvalidCursorException;
import io.evento.Loaded;
import io.evento.PageRequest;
import io.evento.Projection;
import io.evento.SnapshotPolicy;
import io.evento.StoreException;
import io.evento.spi.Executor;
import io.evento.spi.ForwardingExecutor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import io.evento.tck.fixtures.UtcClock;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Snapshots and time travel on the store under test: "snapshot + tail" equals a full replay, a
 * snapshot is used only when its revision matches and it is not newer than the point asked for,
 * and a bad snapshot never breaks a load. Run by {@link ExecutorTck} as its {@code History} group.
 */
abstract class HistoryScenarios extends Scenarios {
    /** The state of the account projections here. */
    record Tally(long balance, int events) {}

    static Projection.Builder<Tally> tally(String key) {
        return Projection.builder(key, Account.class, () -> new Tally(0, 0))
                .on(Account.Opened.class, (t, e) -> new Tally(e.data().balance(), t.events() + 1))
                .on(
                        Account.Deposited.class,
                        (t, e) -> new Tally(t.balance() + e.data().amount(), t.events() + 1))
                .on(
                        Account.Withdrawn.class,
                        (t, e) -> new Tally(t.balance() - e.data().amount(), t.events() + 1))
                .on(Account.Renamed.class, (t, e) -> new Tally(t.balance(), t.events() + 1));
    }

    static final Projection<Tally> FULL = tally("tck-tally").build();
    static final Projection<Tally> MANUAL = tally("tck-tally")
            .snapshots(Tally.class, "r1", SnapshotPolicy.manual())
            .build();

    HistoryScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void a_load_from_a_snapshot_plus_the_tail_equals_a_full_replay() {
        String id = account(30);
        Loaded<Tally> saved = evento().snapshot(MANUAL, id).orElseThrow();
        assertThat(store().snapshot("tck-tally", "tck/Account", id))
                .get()
                .extracting(StoredSnapshot::version, StoredSnapshot::revision)
                .containsExactly(30, "r1");
        deposit(id, 12);

        Loaded<Tally> fromSnapshot = evento().load(MANUAL, id).orElseThrow();
        Loaded<Tally> full = evento().load(FULL, id).orElseThrow();

        assertThat(saved.version()).isEqualTo(30);
        assertThat(fromSnapshot.state()).isEqualTo(full.state());
        assertThat(fromSnapshot.version()).isEqualTo(full.version()).isEqualTo(42);
        assertThat(fromSnapshot.routingKey()).isEqualTo(full.routingKey());
    }

    @Test
    void a_snapshot_is_used_when_its_revision_matches_and_ignored_otherwise() {
        String id = account(5);
        // A planted snapshot whose state no replay gives, to see whether a load started from it.
        plant(id, "r1", 3, new Tally(1_000_000, 3));

        assertThat(evento().load(MANUAL, id).orElseThrow().state()).isEqualTo(new Tally(1_000_000 + 3 + 4, 5));
        Projection<Tally> revised = tally("tck-tally")
                .snapshots(Tally.class, "r2", SnapshotPolicy.manual())
                .build();
        assertThat(evento().load(revised, id).orElseThrow().state())
                .isEqualTo(evento().load(FULL, id).orElseThrow().state());
        evento().snapshot(revised, id);
        assertThat(store().snapshot("tck-tally", "tck/Account", id))
                .get()
                .extracting(StoredSnapshot::revision)
                .isEqualTo("r2");
    }

    @Test
    void policies_save_snapshots_in_the_background_when_due() {
        String id = account(25);
        Projection<Tally> every10 = tally("tck-every-10")
                .snapshots(Tally.class, "r1", SnapshotPolicy.everyEvents(10))
                .build();
        Projection<Tally> replayed20 = tally("tck-replayed-20")
                .snapshots(Tally.class, "r1", SnapshotPolicy.whenReplayedMoreThan(20))
                .build();

        assertThat(evento().load(every10, id).orElseThrow().version()).isEqualTo(25);
        evento().load(replayed20, id);

        await().atMost(PATIENCE)
                .untilAsserted(() -> assertThat(store().snapshot("tck-every-10", "tck/Account", id))
                        .get()
                        .extracting(StoredSnapshot::version)
                        .isEqualTo(25));
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertThat(store().snapshot("tck-replayed-20", "tck/Account", id))
                        .get()
                        .extracting(StoredSnapshot::version)
                        .isEqualTo(25));
        deposit(id, 3);
        evento().load(replayed20, id); // 3 replayed: not due
        evento().load(every10, id); // 28 has not passed 30: not due
        deposit(id, 2);
        evento().load(every10, id); // 30: due
        await().atMost(PATIENCE)
                .untilAsserted(() -> assertThat(store().snapshot("tck-every-10", "tck/Account", id))
                        .get()
                        .extracting(StoredSnapshot::version)
                        .isEqualTo(30));
        assertThat(store().snapshot("tck-replayed-20", "tck/Account", id))
                .get()
                .extracting(StoredSnapshot::version)
                .isEqualTo(25);
        assertThat(evento().load(every10, id).orElseThrow().state())
                .isEqualTo(evento().load(FULL, id).orElseThrow().state());
    }

    @Test
    void a_snapshot_that_does_not_decode_or_is_ahead_of_the_store_is_ignored() {
        String id = account(4);
        store().saveSnapshot(new StoredSnapshot(
                "tck-tally", "tck/Account", id, "r1", 2, "not json".getBytes(StandardCharsets.UTF_8), 0));
        assertThat(evento().load(MANUAL, id).orElseThrow().state())
                .isEqualTo(evento().load(FULL, id).orElseThrow().state());

        plant(id, "r1", 99, new Tally(-1, 99));
        Loaded<Tally> loaded = evento().load(MANUAL, id).orElseThrow();
        assertThat(loaded.state())
                .isEqualTo(evento().load(FULL, id).orElseThrow().state());
        assertThat(loaded.version()).isEqualTo(4);
    }

    @Test
    void a_failing_snapshot_write_does_not_fail_the_load() {
        String id = account(12);
        Executor failing = new ForwardingExecutor(store()) {
            @Override
            public void close() {
                // The real store belongs to the suite.
            }

            @Override
            public void saveSnapshot(StoredSnapshot snapshot) {
                throw new StoreException("disk full", null, true);
            }
        };
        Evento withFailingSnapshots =
                Evento.builder(failing).register(Account.class, Owner.class).build();
        Projection<Tally> eager = tally("tck-eager")
                .snapshots(Tally.class, "r1", SnapshotPolicy.whenReplayedMoreThan(0))
                .build();

        assertThat(withFailingSnapshots.load(eager, id).orElseThrow().state())
                .isEqualTo(evento().load(FULL, id).orElseThrow().state());
        assertThatThrownBy(() -> withFailingSnapshots.snapshot(eager, id))
                .as("an explicit snapshot reports its failure")
                .isInstanceOf(StoreException.class);
        assertThatThrownBy(() -> evento().snapshot(FULL, id)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void a_state_the_codec_cannot_encode_costs_the_snapshot_not_the_load() {
        String id = account(6);
        Codec json = Codec.json();
        Evento picky = Evento.builder(store())
                .register(Account.class, Owner.class)
                .codec(new Codec() {
                    @Override
                    public byte[] encode(Object value) {
                        if (value instanceof Tally) {
                            throw new IllegalArgumentException("states are not for this codec");
                        }
                        return json.encode(value);
                    }

                    @Override
                    public <T> T decode(byte[] data, Class<T> type) {
                        return json.decode(data, type);
                    }
                })
                .build();
        Projection<Tally> eager = tally("tck-picky")
                .snapshots(Tally.class, "r1", SnapshotPolicy.whenReplayedMoreThan(0))
                .build();

        assertThat(picky.load(eager, id).orElseThrow().state())
                .isEqualTo(evento().load(FULL, id).orElseThrow().state());
        assertThat(store().snapshot("tck-picky", "tck/Account", id)).isEmpty();
    }

    @Test
    void time_travel_by_version_time_and_position_equals_a_replay_cut_at_that_point() {
        String id = account(9);
        List<StoredEvent> events = store().readAggregate("tck/Account", id, 0, 100);
        List<Edge<StoredEvent>> log =
                store().read(ReadQuery.all(PageRequest.forward(1_000))).edges();
        // A planted snapshot at version 6: used when the point is at or after it, never before.
        plant(id, "r1", 6, new Tally(1_000_000, 6));

        for (int v = 1; v <= 9; v++) {
            Tally expected = replayCut(events, v);
            Tally viaSnapshot = v >= 6 ? new Tally(1_000_000 + sumDeposits(events, 7, v), v) : expected;
            assertThat(evento().load(FULL, id, AsOf.version(v)).orElseThrow().state())
                    .as("version %d", v)
                    .isEqualTo(expected);
            assertThat(evento().load(MANUAL, id, AsOf.version(v)).orElseThrow().state())
                    .as("version %d with a snapshot at 6", v)
                    .isEqualTo(viaSnapshot);
            Instant at = instant(events.get(v - 1).timestampMicros());
            assertThat(evento().load(FULL, id, AsOf.time(at)).orElseThrow().version())
                    .as("time of version %d", v)
                    .isEqualTo(v);
            // The planted snapshot claims an early time; its event's real time decides.
            assertThat(evento().load(MANUAL, id, AsOf.time(at)).orElseThrow().state())
                    .as("time of version %d with a snapshot at 6", v)
                    .isEqualTo(viaSnapshot);
            String eventId = events.get(v - 1).id();
            String cursor = log.stream()
                    .filter(e -> e.node().id().equals(eventId))
                    .findFirst()
                    .orElseThrow()
                    .cursor();
            assertThat(evento().load(FULL, id, AsOf.position(cursor))
                            .orElseThrow()
                            .state())
                    .as("position of version %d", v)
                    .isEqualTo(expected);
        }
        assertThat(evento().load(FULL, id, AsOf.version(50)).orElseThrow().version())
                .isEqualTo(9);
        assertThat(evento().load(FULL, id, AsOf.time(instant(events.getFirst().timestampMicros() - 1))))
                .isEmpty();
        assertThatThrownBy(() -> evento().load(FULL, id, AsOf.position("not-a-cursor")))
                .isInstanceOf(InvalidCursorException.class);
    }

    @Test
    void a_position_before_the_aggregate_existed_finds_nothing_and_other_aggregates_do_not_count() {
        String other = evento().create().event(new Account.Opened("early", 1)).commit();
        String cursor = store().read(ReadQuery.all(PageRequest.forward(10)))
                .edges()
                .getLast()
                .cursor();
        String id = account(3);
        evento().aggregator(other).event(new Account.Deposited(5)).commit();
        String later = store().read(ReadQuery.all(PageRequest.forward(100)))
                .edges()
                .getLast()
                .cursor();

        assertThat(evento().load(FULL, id, AsOf.position(cursor))).isEmpty();
        assertThat(evento().load(FULL, id, AsOf.position(later)).orElseThrow().version())
                .isEqualTo(3);
        assertThat(evento().load(FULL, other, AsOf.position(cursor))
                        .orElseThrow()
                        .version())
                .isEqualTo(1);
    }

    /**
     * A new account with {@code events} events: opened with 0, then deposits of 1, 2, 3 ... Each is
     * committed a millisecond after the previous one, so every version has its own time.
     */
    private String account(int events) {
        Evento ticking = Evento.builder(store())
                .register(Account.class, Owner.class)
                .clock(new Ticking())
                .build();
        String id = ticking.create().event(new Account.Opened("tally", 0)).commit();
        for (int i = 1; i < events; i++) {
            ticking.aggregator(id).event(new Account.Deposited(i)).commit();
        }
        return id;
    }

    /** A clock one millisecond later at every reading. */
    private static final class Ticking extends UtcClock {
        private final java.util.concurrent.atomic.AtomicLong millis =
                new java.util.concurrent.atomic.AtomicLong(Instant.now().toEpochMilli());

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis.incrementAndGet());
        }
    }

    private void deposit(String id, int count) {
        for (int i = 0; i < count; i++) {
            evento().aggregator(id).event(new Account.Deposited(1)).commit();
        }
    }

    private void plant(String id, String revision, int version, Tally state) {
        store().saveSnapshot(new StoredSnapshot(
                "tck-tally", "tck/Account", id, revision, version, Codec.json().encode(state), 0));
    }

    private static Tally replayCut(List<StoredEvent> events, int version) {
        return new Tally(sumDeposits(events, 2, version), version);
    }

    /** The deposits of versions {@code from..to}: deposit v carries amount v - 1. */
    private static long sumDeposits(List<StoredEvent> events, int from, int to) {
        long sum = 0;
        for (int v = Math.max(from, 2); v <= to; v++) {
            sum += v - 1;
        }
        return sum;
    }

    private static Instant instant(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
}
