package io.evento.tck;

import io.evento.Evento;
import io.evento.spi.Executor;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Timeout;

/**
 * The conformance suite. A backend extends it with one small class that returns a fresh, empty
 * store:
 *
 * <pre>{@code
 * class InMemoryExecutorTest extends ExecutorTck {
 *     @Override
 *     protected Executor newExecutor() {
 *         return InMemoryExecutor.create();
 *     }
 * }
 * }</pre>
 *
 * <p>That is the whole of a backend's part. {@link #newExecutor()} is the one hook it must
 * implement; {@link #holdWrite} is the one it may override, when its writers run concurrently
 * (PostgreSQL and MySQL do): it lets the global-order scenarios hold a transaction open while
 * others commit, which is how commits come to be visible out of position order. Nothing else is
 * for a backend to change.
 *
 * <p>No scenario is skipped or conditional: a backend passes all of them or it does not conform.
 * Each test starts with one fresh store (from {@link #newExecutor()}) and an {@link Evento} over it
 * with the {@link Account} and {@link Owner} families registered. Scenarios that need a second
 * store (cursors of another store, a closed store) ask for one more; every store is closed after
 * the test. A scenario that runs longer than a minute fails, so a backend that loops forever fails
 * the suite instead of hanging it.
 *
 * <h2>The map of the suite</h2>
 *
 * <p>The scenarios are grouped by what they check. Each group below is a {@code @Nested} class of
 * this one, so the subclass inherits all of them, and each lives in a file of its own in this
 * package, named after the group. When a backend fails a group, that file is where to read.
 *
 * <ul>
 *   <li>{@code Loading} ({@code LoadingScenarios}): events fold into a projection's state, with
 *       version and routing key, however many events and load pages an aggregate has.
 *   <li>{@code RoutingKeys} ({@code RoutingKeyScenarios}): an aggregate's routing key is fixed by
 *       its first event; reads select by it.
 *   <li>{@code Commits} ({@code CommitScenarios}): what a commit writes (ids, timestamps, metadata,
 *       order) and which commits are refused before anything is written.
 *   <li>{@code OriginalVersion} ({@code OriginalVersionScenarios}): optimistic concurrency; a commit
 *       with an original version succeeds only at exactly that version.
 *   <li>{@code Concurrency} ({@code ConcurrencyScenarios}): concurrent writers and readers; one
 *       winner per version, atomic commits, a log without holes or duplicates.
 *   <li>{@code CommitMetadata} ({@code CommitMetadataScenarios}): metadata is stored with every
 *       event of a commit and reads back intact.
 *   <li>{@code Pagination} ({@code PaginationScenarios}): relay-style pages over the global log in
 *       both directions, their flags and boundary cursors.
 *   <li>{@code Filters} ({@code FilterScenarios}): event filters select exactly the matching
 *       events, in global order, OR-ed together.
 *   <li>{@code Registration} ({@code RegistrationScenarios}): an event that would not read back is
 *       refused before anything is stored; a forgotten {@code register(..)} is an error.
 *   <li>{@code SafetyCheck} ({@code SafetyCheckScenarios}): unhandled events are ignored unless the
 *       projection's safety check is on.
 *   <li>{@code Cursors} ({@code CursorScenarios}): cursors are opaque; altered ones and those of
 *       other stores are refused, never misread.
 *   <li>{@code InputLimits} ({@code InputLimitScenarios}): values at the limits are stored; values
 *       over them, or with NUL characters, are refused.
 *   <li>{@code NastyStrings} ({@code NastyStringScenarios}): SQL meta-characters and unicode are
 *       stored and matched as plain data.
 *   <li>{@code Decoding} ({@code DecodingScenarios}): events that do not decode fail loudly, naming
 *       the event, and stay stored.
 *   <li>{@code Subscriptions} ({@code SubscriptionScenarios}): what a subscription reads, catch-up
 *       then live, checkpoints across restarts, one worker at a time, crash takeover, reset.
 *   <li>{@code SubscriptionFailures} ({@code SubscriptionFailureScenarios}): retries with backoff,
 *       the checkpoint a failure leaves, failing read-ahead, parking, retry and discard.
 *   <li>{@code SubscriptionOperations} ({@code SubscriptionOperationScenarios}): pause and resume,
 *       status and lag, partitions, a subscription started twice, interrupts and shutdown.
 *   <li>{@code LiveReads} ({@code LiveReadScenarios}): a live subscriber while transactions commit
 *       late or roll back; streams and tails.
 *   <li>{@code History} ({@code HistoryScenarios}): snapshot plus tail equals a full replay; time
 *       travel; a bad snapshot never breaks a load.
 *   <li>{@code Evolution} ({@code EvolutionScenarios}): aliases and upcasters over events an older
 *       application wrote.
 *   <li>{@code SubscriberStore} ({@code SubscriberStoreScenarios}): subscriber state, reset, pause,
 *       the dead-letter store and commit notifications, through the SPI.
 *   <li>{@code Leases} ({@code LeaseScenarios}): one worker per subscription key; leases with
 *       expiry, fencing tokens and checkpoints.
 *   <li>{@code GlobalOrder} ({@code GlobalOrderScenarios}): a reader tailing the log sees every
 *       committed event once, in one order, even when transactions commit out of order (uses
 *       {@link #holdWrite}).
 *   <li>{@code SameOutcomesAsTheReference} ({@code ReferenceOutcomeScenarios}): random sequences of
 *       SPI calls have the outcomes they have on the in-memory reference executor.
 *   <li>{@code Snapshots} ({@code SnapshotStoreScenarios}): the snapshot store; keys, replacement,
 *       a missing snapshot.
 *   <li>{@code Closed} ({@code ClosedStoreScenarios}): a closed executor refuses every call with a
 *       {@link io.evento.StoreException}.
 * </ul>
 *
 * <p>What the groups share (the store of the test, the TCK's projections, events written straight
 * through the SPI, page walks, a runner for concurrent workers) is in {@code Scenarios}, their
 * common base; the store lifecycle is in {@code StoresUnderTest}. Two suites stand beside this one:
 * {@link SnapshotLaw}, the property that a load from a snapshot equals a full replay, and {@link
 * JdbcSubscriptionTck}, exactly-once processing for JDBC executors. Test support for a backend's
 * own tests (events to write, a {@code DataSource} to stand between an executor and its database,
 * clocks a test controls) is in {@code io.evento.tck.fixtures}.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public abstract class ExecutorTck {

    /** The stores of the running test; every group reaches them through {@link Scenarios}. */
    private final StoresUnderTest stores = new StoresUnderTest();

    /** Creates the suite; subclasses only implement {@link #newExecutor()}. */
    protected ExecutorTck() {}

    /**
     * A new, empty store, distinct from every store returned before. The suite closes it.
     *
     * @return the executor
     */
    protected abstract Executor newExecutor();

    /**
     * A write whose transaction is open: its rows are in the store but not committed yet. The
     * global-order scenario holds writes open while other writers commit, then commits or rolls
     * them back late, which is how commits come to be visible out of position order.
     */
    public interface HeldWrite {
        /** Commits the held transaction. */
        void commit();

        /** Rolls the held transaction back: none of its events may ever be read. */
        void rollback();
    }

    /**
     * Starts writing {@code events} and returns once their rows are in the store, with the
     * transaction still open.
     *
     * <p>Executors whose writers run concurrently (PostgreSQL, MySQL) override this to open a real
     * transaction that inserts the rows exactly as their write path does, so the scenario can prove
     * that a reader never skips a row that commits late. The default suits single-writer stores,
     * where an open write transaction would block every other writer: it writes on {@code commit()}
     * and does nothing on {@code rollback()}.
     *
     * @param store the executor under test
     * @param events the events of one new aggregate
     * @return the open write
     */
    protected HeldWrite holdWrite(Executor store, List<StoredEvent> events) {
        return new HeldWrite() {
            @Override
            public void commit() {
                store.write(events);
            }

            @Override
            public void rollback() {}
        };
    }

    /** Opens the store a scenario starts with, and an {@link Evento} over it. */
    @BeforeEach
    protected final void openStoreUnderTest() {
        stores.openFirst(this::newExecutor, this::holdWrite);
    }

    /** Closes every store the scenario opened, reporting the first failure to close. */
    @AfterEach
    protected final void closeStores() {
        stores.closeAll();
    }

    /** Loading folds every event of an aggregate, however many, into a projection's state. */
    @Nested
    public class Loading extends LoadingScenarios {
        /** Creates the group. */
        public Loading() {
            super(stores);
        }
    }

    /** An aggregate's routing key is fixed by its first event; reads can select by it. */
    @Nested
    public class RoutingKeys extends RoutingKeyScenarios {
        /** Creates the group. */
        public RoutingKeys() {
            super(stores);
        }
    }

    /** What a commit writes, and which commits are refused before anything is written. */
    @Nested
    public class Commits extends CommitScenarios {
        /** Creates the group. */
        public Commits() {
            super(stores);
        }
    }

    /** A commit with an original version succeeds only at exactly that version. */
    @Nested
    public class OriginalVersion extends OriginalVersionScenarios {
        /** Creates the group. */
        public OriginalVersion() {
            super(stores);
        }
    }

    /** Concurrent writers and readers: one winner per version, atomic commits, a log without gaps. */
    @Nested
    public class Concurrency extends ConcurrencyScenarios {
        /** Creates the group. */
        public Concurrency() {
            super(stores);
        }
    }

    /** Metadata is stored with every event of a commit and reads back intact. */
    @Nested
    public class CommitMetadata extends CommitMetadataScenarios {
        /** Creates the group. */
        public CommitMetadata() {
            super(stores);
        }
    }

    /** Relay-style pages over the global log, in both directions. */
    @Nested
    public class Pagination extends PaginationScenarios {
        /** Creates the group. */
        public Pagination() {
            super(stores);
        }
    }

    /** Event filters select exactly the matching events, in global order, OR-ed together. */
    @Nested
    public class Filters extends FilterScenarios {
        /** Creates the group. */
        public Filters() {
            super(stores);
        }
    }

    /**
     * An event that would not read back is refused before anything is stored; a forgotten
     * {@code register(..)} is an error naming what to register wherever the family is used.
     */
    @Nested
    public class Registration extends RegistrationScenarios {
        /** Creates the group. */
        public Registration() {
            super(stores);
        }
    }

    /** Unhandled events are ignored, unless the projection's safety check is on. */
    @Nested
    public class SafetyCheck extends SafetyCheckScenarios {
        /** Creates the group. */
        public SafetyCheck() {
            super(stores);
        }
    }

    /** Cursors are opaque: altered ones and those of other stores are refused, never misread. */
    @Nested
    public class Cursors extends CursorScenarios {
        /** Creates the group. */
        public Cursors() {
            super(stores);
        }
    }

    /** Values at the limits are stored; values over them, or with NUL characters, are refused. */
    @Nested
    public class InputLimits extends InputLimitScenarios {
        /** Creates the group. */
        public InputLimits() {
            super(stores);
        }
    }

    /** SQL meta-characters and unicode are stored and matched as plain data, never interpreted. */
    @Nested
    public class NastyStrings extends NastyStringScenarios {
        /** Creates the group. */
        public NastyStrings() {
            super(stores);
        }
    }

    /** Stored events that do not decode fail loudly, naming the event, and stay stored. */
    @Nested
    public class Decoding extends DecodingScenarios {
        /** Creates the group. */
        public Decoding() {
            super(stores);
        }
    }

    /** What a subscription reads, and how it runs: catch-up then live, checkpoints, one worker, takeover. */
    @Nested
    public class Subscriptions extends SubscriptionScenarios {
        /** Creates the group. */
        public Subscriptions() {
            super(stores);
        }
    }

    /** Failing handlers and reads: retries with backoff, stops at the right checkpoint, parking. */
    @Nested
    public class SubscriptionFailures extends SubscriptionFailureScenarios {
        /** Creates the group. */
        public SubscriptionFailures() {
            super(stores);
        }
    }

    /** Pause and resume, status and lag, partitions, a subscription started twice, shutdown. */
    @Nested
    public class SubscriptionOperations extends SubscriptionOperationScenarios {
        /** Creates the group. */
        public SubscriptionOperations() {
            super(stores);
        }
    }

    /** Reading a growing log: a live subscriber during late commits, streams and tails. */
    @Nested
    public class LiveReads extends LiveReadScenarios {
        /** Creates the group. */
        public LiveReads() {
            super(stores);
        }
    }

    /** Snapshots and time travel. */
    @Nested
    public class History extends HistoryScenarios {
        /** Creates the group. */
        public History() {
            super(stores);
        }
    }

    /** Schema evolution: aliases and upcasters over events an older application wrote. */
    @Nested
    public class Evolution extends EvolutionScenarios {
        /** Creates the group. */
        public Evolution() {
            super(stores);
        }
    }

    /** Subscriber state, reset, pause, parked events and commit notifications. */
    @Nested
    public class SubscriberStore extends SubscriberStoreScenarios {
        /** Creates the group. */
        public SubscriberStore() {
            super(stores);
        }
    }

    /** One worker per subscription key: leases with expiry, fencing tokens and checkpoints. */
    @Nested
    public class Leases extends LeaseScenarios {
        /** Creates the group. */
        public Leases() {
            super(stores);
        }
    }

    /**
     * The global order is skip-free: a reader that tails the log with the public read API sees every
     * committed event exactly once, in one order, even when transactions commit out of order.
     */
    @Nested
    public class GlobalOrder extends GlobalOrderScenarios {
        /** Creates the group. */
        public GlobalOrder() {
            super(stores);
        }
    }

    /**
     * Random sequences of SPI calls have the same outcome on the store under test as on the
     * in-memory reference executor: the same events in every page, the same page flags, conflicts,
     * leases, tokens and snapshots. Cursors differ between stores (they carry the store id), so each
     * store pages with its own.
     */
    @Nested
    public class SameOutcomesAsTheReference extends ReferenceOutcomeScenarios {
        /** Creates the group. */
        public SameOutcomesAsTheReference() {
            super(stores);
        }
    }

    /** Snapshots are keyed by projection, aggregate type and id; saving replaces. */
    @Nested
    public class Snapshots extends SnapshotStoreScenarios {
        /** Creates the group. */
        public Snapshots() {
            super(stores);
        }
    }

    /** A closed executor refuses every call with a {@link io.evento.StoreException}. */
    @Nested
    public class Closed extends ClosedStoreScenarios {
        /** Creates the group. */
        public Closed() {
            super(stores);
        }
    }
}
