package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.AsOf;
import io.evento.Codec;
import io.evento.CommitBuilder;
import io.evento.Evento;
import io.evento.Loaded;
import io.evento.Projection;
import io.evento.SnapshotPolicy;
import io.evento.spi.Executor;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import java.util.List;
import java.util.UUID;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterProperty;
import net.jqwik.api.lifecycle.BeforeProperty;

/**
 * The snapshot law, as a property: for any history and any snapshot point, "snapshot + tail" gives
 * the same state and version as a full replay, and a load as of any version gives the replay cut at
 * that version, whether a snapshot is used or not. A backend extends it with one small class
 * returning a fresh, empty store, like {@link ExecutorTck}.
 */
public abstract class SnapshotLaw {

    /** One step of a generated history. */
    sealed interface Step {
        /** Applies the step to the oracle state. */
        View apply(View v);

        /** The event that records the step. */
        Account event();
    }

    record Deposit(long amount) implements Step {
        @Override
        public View apply(View v) {
            return new View(v.owner(), v.balance() + amount, v.moves() + 1, 0);
        }

        @Override
        public Account event() {
            return new Account.Deposited(amount);
        }
    }

    record Withdraw(long amount) implements Step {
        @Override
        public View apply(View v) {
            return new View(v.owner(), v.balance() - amount, v.moves() + 1, 0);
        }

        @Override
        public Account event() {
            return new Account.Withdrawn(amount);
        }
    }

    record Rename(String owner) implements Step {
        @Override
        public View apply(View v) {
            return new View(owner, v.balance(), v.moves(), 0);
        }

        @Override
        public Account event() {
            return new Account.Renamed(owner);
        }
    }

    /**
     * The state both projections fold to, and the oracle computes. {@code folded} counts the events
     * a load folded, which the oracle leaves out: it shows whether a load started from a snapshot.
     */
    record View(String owner, long balance, int moves, int folded) {
        View business() {
            return new View(owner, balance, moves, 0);
        }

        View folding() {
            return new View(owner, balance, moves, folded + 1);
        }
    }

    private static Projection.Builder<View> view() {
        return Projection.builder("tck-law", Account.class, () -> new View("", 0, 0, 0))
                .on(
                        Account.Opened.class,
                        (v, e) -> new View(e.data().owner(), e.data().balance(), 0, v.folded()).folding())
                .on(
                        Account.Deposited.class,
                        (v, e) -> new View(v.owner(), v.balance() + e.data().amount(), v.moves() + 1, v.folded())
                                .folding())
                .on(
                        Account.Withdrawn.class,
                        (v, e) -> new View(v.owner(), v.balance() - e.data().amount(), v.moves() + 1, v.folded())
                                .folding())
                .on(
                        Account.Renamed.class,
                        (v, e) -> new View(e.data().owner(), v.balance(), v.moves(), v.folded()).folding());
    }

    private static final Projection<View> FULL = view().build();
    private static final Projection<View> SNAPSHOTTED =
            view().snapshots(View.class, "law-1", SnapshotPolicy.manual()).build();

    private Executor store;
    private Evento evento;

    /** Creates the property. */
    protected SnapshotLaw() {}

    /**
     * A new, empty store, distinct from every store returned before. The property closes it.
     *
     * @return the executor
     */
    protected abstract Executor newExecutor();

    @BeforeProperty
    void openStore() {
        store = newExecutor();
        evento = Evento.builder(store).register(Account.class, Owner.class).build();
    }

    @AfterProperty
    void closeStore() {
        store.close();
    }

    @Property(tries = 40)
    void snapshot_plus_tail_equals_full_replay_and_loads_as_of_a_version_equal_the_cut(
            @ForAll("histories") List<Step> steps,
            @ForAll @IntRange(min = 1, max = 50) int snapshotAt,
            @ForAll @IntRange(min = 1, max = 50) int cutAt,
            @ForAll @IntRange(min = 1, max = 3) int eventsPerCommit) {
        String id = write(steps, eventsPerCommit);
        int versions = steps.size() + 1;
        int snapshot = Math.min(snapshotAt, versions);
        int cut = Math.min(cutAt, versions);

        Loaded<View> full = evento.load(FULL, id).orElseThrow();
        assertThat(full.state().business()).isEqualTo(oracle(steps, versions));
        assertThat(full.state().folded()).isEqualTo(versions);
        assertThat(full.version()).isEqualTo(versions);

        View atSnapshot =
                evento.load(FULL, id, AsOf.version(snapshot)).orElseThrow().state();
        assertThat(atSnapshot.business()).isEqualTo(oracle(steps, snapshot));
        StoredEvent snapshotEvent =
                store.readAggregate("tck/Account", id, snapshot - 1, 1).getFirst();
        // Saved with the fold count reset, so a load that started from it folds only the tail.
        store.saveSnapshot(new StoredSnapshot(
                "tck-law",
                "tck/Account",
                id,
                "law-1",
                snapshot,
                Codec.json().encode(atSnapshot.business()),
                snapshotEvent.timestampMicros()));

        Loaded<View> fromSnapshot = evento.load(SNAPSHOTTED, id).orElseThrow();
        assertThat(fromSnapshot.state().business()).isEqualTo(full.state().business());
        assertThat(fromSnapshot.state().folded())
                .as("events folded after the snapshot")
                .isEqualTo(versions - snapshot);
        assertThat(fromSnapshot.version()).isEqualTo(full.version());
        assertThat(fromSnapshot.routingKey()).isEqualTo(full.routingKey());
        Loaded<View> cutWithSnapshot =
                evento.load(SNAPSHOTTED, id, AsOf.version(cut)).orElseThrow();
        assertThat(cutWithSnapshot.state().business()).isEqualTo(oracle(steps, cut));
        assertThat(cutWithSnapshot.state().folded())
                .as("a snapshot newer than the cut is not used")
                .isEqualTo(cut >= snapshot ? cut - snapshot : cut);
        assertThat(cutWithSnapshot.version()).isEqualTo(cut);
    }

    @Provide
    Arbitrary<List<Step>> histories() {
        Arbitrary<Step> deposit = Arbitraries.longs().between(1, 1_000_000).map(Deposit::new);
        Arbitrary<Step> withdraw = Arbitraries.longs().between(1, 1_000_000).map(Withdraw::new);
        Arbitrary<Step> rename =
                Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(12).map(Rename::new);
        return Arbitraries.frequencyOf(
                        net.jqwik.api.Tuple.of(5, deposit),
                        net.jqwik.api.Tuple.of(3, withdraw),
                        net.jqwik.api.Tuple.of(1, rename))
                .list()
                .ofMaxSize(45);
    }

    /** Commits the history: an opening, then the steps, a few per commit. */
    private String write(List<Step> steps, int eventsPerCommit) {
        String id = evento.create()
                .routingKey("law-" + UUID.randomUUID().toString().substring(0, 4))
                .event(new Account.Opened("first", 100))
                .commit();
        for (int i = 0; i < steps.size(); i += eventsPerCommit) {
            CommitBuilder commit = evento.aggregator(id);
            for (Step step : steps.subList(i, Math.min(steps.size(), i + eventsPerCommit))) {
                commit.event(step.event());
            }
            commit.commit();
        }
        return id;
    }

    /** The state after {@code version} events, computed without Evento. */
    private static View oracle(List<Step> steps, int version) {
        View v = new View("first", 100, 0, 0);
        for (Step step : steps.subList(0, version - 1)) {
            v = step.apply(v);
        }
        return v;
    }
}
