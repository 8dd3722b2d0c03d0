package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;
import static org.awaitility.Awaitility.await;

import io.evento.AggregateRef;
import io.evento.Codec;
import io.evento.CommitBuilder;
import io.evento.ConcurrencyException;
import io.evento.Edge;
import io.evento.Event;
import io.evento.EventDecodingException;
import io.evento.EventFilter;
import io.evento.Evento;
import io.evento.InvalidCursorException;
import io.evento.LeaseLostException;
import io.evento.Limits;
import io.evento.Loaded;
import io.evento.Metadata;
import io.evento.Page;
import io.evento.PageInfo;
import io.evento.PageRequest;
import io.evento.PageRequest.Direction;
import io.evento.Projection;
import io.evento.RoutingFilter;
import io.evento.StoreException;
import io.evento.UnhandledEventException;
import io.evento.memory.InMemoryExecutor;
import io.evento.spi.Executor;
import io.evento.spi.Lease;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Audit;
import io.evento.tck.domain.Origin;
import io.evento.tck.domain.Owner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
 * <p>Every scenario lives in a {@code @Nested} class here, so the subclass inherits all of them.
 * No scenario is skipped or conditional: a backend passes all of them or it does not conform.
 *
 * <p>Each test starts with one fresh store (from {@link #newExecutor()}) and an {@link Evento} over
 * it with the {@link Account} and {@link Owner} families registered. Scenarios that need a second
 * store (cursors of another store, a closed store) ask for one more; every store is closed after
 * the test. A scenario that runs longer than a minute fails, so a backend that loops forever
 * fails the suite instead of hanging it.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
public abstract class ExecutorTck {

    /** Crockford base32, the alphabet of ULIDs. */
    private static final String CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /** A ULID: 26 Crockford base32 characters, the first at most 7 (128 bits). */
    private static final String ULID = "[0-7][0-9A-HJKMNP-TV-Z]{25}";

    /** A lease that cannot lapse during a test. */
    private static final Duration LONG_TTL = Duration.ofMinutes(5);

    /** A lease that lapses almost at once. */
    private static final Duration TINY_TTL = Duration.ofMillis(20);

    /** How long any await may take before the scenario fails. */
    private static final Duration PATIENCE = Duration.ofSeconds(20);

    /** A commit time with whole milliseconds, which every backend keeps exactly. */
    private static final long TIMESTAMP_MICROS = 1_700_000_000_123_000L;

    private static final String ACCOUNT_TYPE = "tck/Account";
    private static final String OWNER_TYPE = "tck/Owner";

    /** The state the account projections fold to. */
    private record AccountView(String owner, long balance, int deposits) {}

    /** An account with what is known of its owner, folded from two aggregate types. */
    private record Statement(String owner, long balance, String ownerName, int ownerEvents) {}

    /** Handles every account event. */
    private static final Projection<AccountView> ACCOUNT = Projection.builder(
                    "tck-account", Account.class, () -> new AccountView("", 0, 0))
            .on(
                    Account.Opened.class,
                    (s, e) -> new AccountView(e.data().owner(), e.data().balance(), s.deposits()))
            .on(
                    Account.Deposited.class,
                    (s, e) -> new AccountView(s.owner(), s.balance() + e.data().amount(), s.deposits() + 1))
            .on(
                    Account.Withdrawn.class,
                    (s, e) -> new AccountView(s.owner(), s.balance() - e.data().amount(), s.deposits()))
            .on(Account.Renamed.class, (s, e) -> new AccountView(e.data().owner(), s.balance(), s.deposits()))
            .build();

    /** Handles account and owner events. */
    private static final Projection<Statement> STATEMENT = Projection.builder(
                    "tck-statement", Account.class, () -> new Statement("", 0, "", 0))
            .on(
                    Account.Opened.class,
                    (s, e) -> new Statement(e.data().owner(), e.data().balance(), s.ownerName(), s.ownerEvents()))
            .on(
                    Account.Deposited.class,
                    (s, e) -> new Statement(s.owner(), s.balance() + e.data().amount(), s.ownerName(), s.ownerEvents()))
            .on(
                    Owner.Created.class,
                    (s, e) -> new Statement(s.owner(), s.balance(), e.data().name(), s.ownerEvents() + 1))
            .on(
                    Owner.NameChanged.class,
                    (s, e) -> new Statement(s.owner(), s.balance(), e.data().name(), s.ownerEvents() + 1))
            .build();

    private final List<Executor> stores = new ArrayList<>();
    private Executor executor;
    private Evento evento;

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
        executor = openStore();
        evento = eventoOn(executor);
    }

    /** Closes every store the scenario opened, reporting the first failure to close. */
    @AfterEach
    protected final void closeStores() {
        RuntimeException failure = null;
        for (Executor store : stores.reversed()) {
            try {
                store.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        stores.clear();
        if (failure != null) {
            throw failure;
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Loading
    // ---------------------------------------------------------------------------------------------

    /** Loading folds every event of an aggregate, however many, into a projection's state. */
    @Nested
    public class Loading {
        /** Creates the suite. */
        public Loading() {}

        @Test
        void committed_events_fold_into_the_projection_state_with_version_and_routing_key() {
            String john = evento.create()
                    .routingKey("eu")
                    .event(new Account.Opened("John", 1000))
                    .commit();
            String jane = evento.create().event(new Account.Opened("Jane", 500)).commit();

            assertThat(evento.load(ACCOUNT, john)).hasValueSatisfying(l -> {
                assertThat(l.state()).isEqualTo(new AccountView("John", 1000, 0));
                assertThat(l.version()).isEqualTo(1);
                assertThat(l.routingKey()).contains("eu");
                assertThat(l.id()).isEqualTo(john);
                assertThat(l.aggregatorType()).isEqualTo(ACCOUNT_TYPE);
            });

            evento.aggregator(john).event(new Account.Deposited(250)).commit();
            evento.aggregator(john)
                    .event(new Account.Withdrawn(300))
                    .event(new Account.Renamed("John Smith"))
                    .commit();
            evento.aggregator(jane).event(new Account.Deposited(300)).commit();

            assertThat(evento.load(ACCOUNT, john)).hasValueSatisfying(l -> {
                assertThat(l.state()).isEqualTo(new AccountView("John Smith", 950, 1));
                assertThat(l.version()).isEqualTo(4);
                assertThat(l.routingKey()).contains("eu");
            });
            assertThat(evento.load(ACCOUNT, jane)).hasValueSatisfying(l -> {
                assertThat(l.state()).isEqualTo(new AccountView("Jane", 800, 1));
                assertThat(l.version()).isEqualTo(2);
                assertThat(l.routingKey()).isEmpty();
            });
        }

        @Test
        void loading_an_aggregate_that_has_no_events_gives_nothing() {
            evento.create().event(new Account.Opened("John", 1)).commit();

            assertThat(evento.load(ACCOUNT, "non-existent-id")).isEmpty();
        }

        @Test
        void aggregates_of_different_types_may_share_an_id() {
            String id = evento.create().event(new Account.Opened("Ann", 10)).commit();

            assertThat(evento.load(STATEMENT, id)).isPresent();
            assertThat(evento.executor().lastEvent(OWNER_TYPE, id)).isEmpty();

            evento.aggregator(id)
                    .originalVersion(0)
                    .event(new Owner.Created("Ann"))
                    .commit();

            assertThat(evento.load(ACCOUNT, id)).hasValueSatisfying(l -> {
                assertThat(l.version()).isEqualTo(1);
                assertThat(l.state()).isEqualTo(new AccountView("Ann", 10, 0));
            });
            assertThat(executor.lastEvent(OWNER_TYPE, id))
                    .hasValueSatisfying(e -> assertThat(e.name()).isEqualTo("Created"));
            assertThat(executor.readAggregate(ACCOUNT_TYPE, id, 0, 10)).hasSize(1);
        }

        @Test
        void an_aggregate_of_2500_events_loads_completely_across_load_pages() {
            String id = evento.create().event(new Account.Opened("Big", 0)).commit();
            commitDeposits(id, 999, 1);
            commitDeposits(id, 1000, 1);
            commitDeposits(id, 500, 1);

            assertThat(evento.load(ACCOUNT, id)).hasValueSatisfying(l -> {
                assertThat(l.version()).isEqualTo(2500);
                assertThat(l.state()).isEqualTo(new AccountView("Big", 2499, 2499));
            });
            assertThat(executor.lastEvent(ACCOUNT_TYPE, id))
                    .hasValueSatisfying(e -> assertThat(e.version()).isEqualTo(2500));
        }

        @Test
        void an_aggregate_of_exactly_one_load_page_loads_completely() {
            String id = evento.create().event(new Account.Opened("Even", 0)).commit();
            commitDeposits(id, 999, 2);
            assertThat(evento.load(ACCOUNT, id)).hasValueSatisfying(l -> {
                assertThat(l.version()).isEqualTo(1000);
                assertThat(l.state()).isEqualTo(new AccountView("Even", 1998, 999));
            });

            commitDeposits(id, 1000, 1);
            assertThat(evento.load(ACCOUNT, id)).hasValueSatisfying(l -> {
                assertThat(l.version()).isEqualTo(2000);
                assertThat(l.state().deposits()).isEqualTo(1999);
            });
        }

        @Test
        void read_aggregate_returns_the_events_after_a_version_up_to_a_limit() {
            String id = evento.create().event(new Account.Opened("Paged", 0)).commit();
            commitDeposits(id, 9, 1);

            assertThat(versions(executor.readAggregate(ACCOUNT_TYPE, id, 0, 100)))
                    .containsExactly(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
            assertThat(versions(executor.readAggregate(ACCOUNT_TYPE, id, 3, 4))).containsExactly(4, 5, 6, 7);
            assertThat(versions(executor.readAggregate(ACCOUNT_TYPE, id, 8, 100)))
                    .containsExactly(9, 10);
            assertThat(executor.readAggregate(ACCOUNT_TYPE, id, 10, 100)).isEmpty();
            assertThat(executor.readAggregate(ACCOUNT_TYPE, "nobody", 0, 100)).isEmpty();
            assertThat(executor.lastEvent(ACCOUNT_TYPE, id))
                    .hasValueSatisfying(e -> assertThat(e.version()).isEqualTo(10));
            assertThat(executor.lastEvent(ACCOUNT_TYPE, "nobody")).isEmpty();
        }

        @Test
        void a_projection_folds_a_related_aggregate_but_reports_the_main_aggregates_version_and_routing_key() {
            String owner = evento.create()
                    .routingKey("owners")
                    .event(new Owner.Created("John Doe"))
                    .commit();
            String account = evento.create()
                    .routingKey("accounts")
                    .event(new Account.Opened("John", 1000))
                    .commit();

            assertThat(evento.load(STATEMENT, account, AggregateRef.of(Owner.class, owner)))
                    .hasValueSatisfying(l -> {
                        assertThat(l.state()).isEqualTo(new Statement("John", 1000, "John Doe", 1));
                        assertThat(l.version()).isEqualTo(1);
                        assertThat(l.routingKey()).contains("accounts");
                        assertThat(l.id()).isEqualTo(account);
                    });

            evento.aggregator(account).event(new Account.Deposited(500)).commit();
            evento.aggregator(owner)
                    .originalVersion(1)
                    .event(new Owner.NameChanged("John Smith"))
                    .commit();
            evento.aggregator(owner)
                    .event(new Owner.NameChanged("Johnny Smith"))
                    .commit();

            assertThat(evento.load(STATEMENT, account, AggregateRef.of(Owner.class, owner)))
                    .hasValueSatisfying(l -> {
                        assertThat(l.state()).isEqualTo(new Statement("John", 1500, "Johnny Smith", 3));
                        assertThat(l.version()).isEqualTo(2);
                        assertThat(l.routingKey()).contains("accounts");
                    });
            assertThat(evento.load(STATEMENT, account))
                    .hasValueSatisfying(l -> assertThat(l.state()).isEqualTo(new Statement("John", 1500, "", 0)));
        }

        @Test
        void loading_several_aggregates_gives_nothing_when_the_main_aggregate_has_no_events() {
            String owner = evento.create().event(new Owner.Created("Orphan")).commit();

            assertThat(evento.load(STATEMENT, "no-such-account", AggregateRef.of(Owner.class, owner)))
                    .isEmpty();
        }

        @Test
        void a_related_aggregate_without_events_contributes_nothing() {
            String account =
                    evento.create().event(new Account.Opened("Solo", 7)).commit();

            assertThat(evento.load(STATEMENT, account, AggregateRef.of(Owner.class, "no-such-owner")))
                    .hasValueSatisfying(l -> {
                        assertThat(l.state()).isEqualTo(new Statement("Solo", 7, "", 0));
                        assertThat(l.version()).isEqualTo(1);
                    });
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Routing keys
    // ---------------------------------------------------------------------------------------------

    /** An aggregate's routing key is fixed by its first event; reads can select by it. */
    @Nested
    public class RoutingKeys {
        /** Creates the suite. */
        public RoutingKeys() {}

        @Test
        void an_aggregate_keeps_the_routing_key_of_its_first_event() {
            String id = evento.create()
                    .routingKey("us-east-1")
                    .event(new Account.Opened("Alice", 1000))
                    .commit();
            evento.aggregator(id)
                    .routingKey("eu-west-1")
                    .event(new Account.Deposited(500))
                    .commit();
            evento.aggregator(id).event(new Account.Deposited(1)).commit();
            evento.load(ACCOUNT, id)
                    .orElseThrow()
                    .append()
                    .routingKey("ap-south-1")
                    .event(new Account.Withdrawn(1))
                    .commit();

            assertThat(evento.load(ACCOUNT, id)).hasValueSatisfying(l -> {
                assertThat(l.routingKey()).contains("us-east-1");
                assertThat(l.version()).isEqualTo(4);
                assertThat(l.state().balance()).isEqualTo(1500);
            });
            List<Event<?>> events = events(List.of(EventFilter.aggregate(Account.class, id)), RoutingFilter.ALL);
            assertThat(events)
                    .hasSize(4)
                    .allSatisfy(e -> assertThat(e.routingKey()).contains("us-east-1"));
        }

        @Test
        void an_aggregate_created_without_a_routing_key_never_gets_one() {
            String id =
                    evento.create().event(new Account.Opened("Charlie", 3000)).commit();
            evento.aggregator(id)
                    .routingKey("eu-west-1")
                    .event(new Account.Deposited(100))
                    .commit();

            assertThat(evento.load(ACCOUNT, id)).hasValueSatisfying(l -> {
                assertThat(l.routingKey()).isEmpty();
                assertThat(l.version()).isEqualTo(2);
                assertThat(l.state().balance()).isEqualTo(3100);
            });
            assertThat(events(List.of(EventFilter.aggregate(Account.class, id)), RoutingFilter.ALL))
                    .hasSize(2)
                    .allSatisfy(e -> assertThat(e.routingKey()).isEmpty());
            assertThat(events(List.of(), RoutingFilter.key("eu-west-1"))).isEmpty();
        }

        @Test
        void the_executor_stores_the_aggregates_routing_key_whatever_a_later_write_carries() {
            executor.write(List.of(stored(ACCOUNT_TYPE, "keyed", 1, "Deposited", Optional.of("k1"), json("{}"))));
            executor.write(List.of(
                    stored(ACCOUNT_TYPE, "keyed", 2, "Deposited", Optional.of("k2"), json("{}")),
                    stored(ACCOUNT_TYPE, "keyed", 3, "Deposited", Optional.empty(), json("{}"))));
            executor.write(List.of(stored(ACCOUNT_TYPE, "unkeyed", 1, "Deposited", Optional.empty(), json("{}"))));
            executor.write(List.of(stored(ACCOUNT_TYPE, "unkeyed", 2, "Deposited", Optional.of("k2"), json("{}"))));

            assertThat(executor.readAggregate(ACCOUNT_TYPE, "keyed", 0, 10))
                    .extracting(StoredEvent::routingKey)
                    .containsExactly(Optional.of("k1"), Optional.of("k1"), Optional.of("k1"));
            assertThat(executor.readAggregate(ACCOUNT_TYPE, "unkeyed", 0, 10))
                    .extracting(StoredEvent::routingKey)
                    .containsExactly(Optional.empty(), Optional.empty());
            assertThat(storedEvents(executor))
                    .extracting(StoredEvent::routingKey)
                    .containsExactly(
                            Optional.of("k1"),
                            Optional.of("k1"),
                            Optional.of("k1"),
                            Optional.empty(),
                            Optional.empty());
            assertThat(executor.read(new ReadQuery(List.of(), RoutingFilter.key("k2"), PageRequest.forward(10)))
                            .edges())
                    .isEmpty();
        }

        @Test
        void reading_by_key_none_or_all_selects_accordingly() {
            Map<String, Optional<String>> keyOf = new LinkedHashMap<>();
            String eu = evento.create()
                    .routingKey("eu")
                    .event(new Account.Opened("eu", 1))
                    .commit();
            keyOf.put(eu, Optional.of("eu"));
            String none = evento.create().event(new Account.Opened("none", 2)).commit();
            keyOf.put(none, Optional.empty());
            String us = evento.create()
                    .routingKey("us")
                    .event(new Owner.Created("us"))
                    .commit();
            keyOf.put(us, Optional.of("us"));
            evento.aggregator(eu).event(new Account.Deposited(1)).commit();
            evento.aggregator(none).event(new Account.Deposited(2)).commit();
            String eu2 = evento.create()
                    .routingKey("eu")
                    .event(new Owner.Created("eu2"))
                    .commit();
            keyOf.put(eu2, Optional.of("eu"));
            List<StoredEvent> all = storedEvents(executor);
            assertThat(all).hasSize(6);

            assertThat(ids(events(List.of(), RoutingFilter.key("eu"))))
                    .containsExactlyElementsOf(idsOf(all, e -> e.routingKey().equals(Optional.of("eu"))))
                    .hasSize(3);
            assertThat(ids(events(List.of(), RoutingFilter.key("us"))))
                    .containsExactlyElementsOf(idsOf(all, e -> e.aggregatorId().equals(us)))
                    .hasSize(1);
            assertThat(ids(events(List.of(), RoutingFilter.NONE)))
                    .containsExactlyElementsOf(idsOf(all, e -> e.aggregatorId().equals(none)))
                    .hasSize(2);
            assertThat(ids(events(List.of(), RoutingFilter.ALL))).containsExactlyElementsOf(idsOf(all, e -> true));
            assertThat(events(List.of(), RoutingFilter.key("ap"))).isEmpty();
            assertThat(all).allSatisfy(e -> assertThat(e.routingKey()).isEqualTo(keyOf.get(e.aggregatorId())));
        }

        @Test
        void the_routing_filter_combines_with_event_filters() {
            String euAccount = evento.create()
                    .routingKey("eu")
                    .event(new Account.Opened("a", 1))
                    .commit();
            evento.create().routingKey("eu").event(new Owner.Created("o")).commit();
            evento.create().event(new Account.Opened("b", 1)).commit();
            evento.aggregator(euAccount).event(new Account.Deposited(3)).commit();

            List<Event<?>> selected = events(List.of(EventFilter.type(Account.class)), RoutingFilter.key("eu"));
            assertThat(selected).hasSize(2).allSatisfy(e -> {
                assertThat(e.aggregatorId()).isEqualTo(euAccount);
                assertThat(e.routingKey()).contains("eu");
            });
            assertThat(events(List.of(EventFilter.type(Account.class)), RoutingFilter.NONE))
                    .singleElement()
                    .satisfies(e -> assertThat(e.data()).isEqualTo(new Account.Opened("b", 1)));
            assertThat(events(List.of(EventFilter.type(Owner.class)), RoutingFilter.NONE))
                    .isEmpty();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Commits
    // ---------------------------------------------------------------------------------------------

    /** What a commit writes, and which commits are refused before anything is written. */
    @Nested
    public class Commits {
        /** Creates the suite. */
        public Commits() {}

        @Test
        void create_returns_a_new_ulid_for_each_aggregate() {
            Set<String> ids = new HashSet<>();
            for (int i = 0; i < 20; i++) {
                String id =
                        evento.create().event(new Account.Opened("n" + i, i)).commit();
                assertThat(id).hasSize(26).matches(ULID);
                ids.add(id);
            }
            assertThat(ids).hasSize(20);
            assertThat(storedEvents(executor))
                    .extracting(StoredEvent::aggregatorId)
                    .containsExactlyInAnyOrderElementsOf(ids);
        }

        @Test
        void appending_without_an_original_version_goes_after_the_current_version() {
            String id = evento.create().event(new Account.Opened("Ann", 10)).commit();
            String returned = evento.aggregator(id)
                    .event(new Account.Deposited(5))
                    .event(new Account.Deposited(6))
                    .commit();
            evento.aggregator(id).event(new Account.Withdrawn(1)).commit();

            assertThat(returned).isEqualTo(id);
            assertThat(versions(executor.readAggregate(ACCOUNT_TYPE, id, 0, 100)))
                    .containsExactly(1, 2, 3, 4);
            assertThat(evento.load(ACCOUNT, id))
                    .hasValueSatisfying(l -> assertThat(l.state()).isEqualTo(new AccountView("Ann", 20, 2)));
        }

        @Test
        void appending_without_an_original_version_to_an_unknown_id_creates_the_aggregate() {
            String id = evento.aggregator("chosen-1")
                    .event(new Account.Opened("Chosen", 1))
                    .commit();

            assertThat(id).isEqualTo("chosen-1");
            assertThat(evento.load(ACCOUNT, "chosen-1"))
                    .hasValueSatisfying(l -> assertThat(l.version()).isEqualTo(1));
        }

        @Test
        void original_version_zero_creates_an_aggregate_with_a_chosen_id() {
            String chosen = Evento.ids("user-1", "group-7");
            String id = evento.aggregator(chosen)
                    .originalVersion(0)
                    .event(new Account.Opened("Member", 0))
                    .commit();

            assertThat(id).isEqualTo(chosen);
            assertThat(evento.load(ACCOUNT, chosen)).hasValueSatisfying(l -> {
                assertThat(l.id()).isEqualTo(chosen);
                assertThat(l.version()).isEqualTo(1);
                assertThat(l.state().owner()).isEqualTo("Member");
            });
        }

        @Test
        void ids_hashes_several_ids_into_one_deterministic_64_hex_id() {
            String ab = Evento.ids("a", "b");

            assertThat(ab).hasSize(64).matches("[0-9a-f]{64}");
            assertThat(Evento.ids("a", "b")).isEqualTo(ab);
            assertThat(Evento.ids("b", "a")).isNotEqualTo(ab).matches("[0-9a-f]{64}");
            assertThat(Evento.ids("a")).isNotEqualTo(ab);
        }

        @Test
        void ids_of_different_combinations_never_collide() {
            // Evento (Rust) length-prefixes each part for exactly this reason.
            assertThat(Evento.ids("ab", "c")).isNotEqualTo(Evento.ids("a", "bc"));
            assertThat(Evento.ids("user-1", "2-group")).isNotEqualTo(Evento.ids("user-12", "-group"));
            assertThat(Evento.ids("ab")).isNotEqualTo(Evento.ids("a", "b"));
            assertThat(Evento.ids("a", "")).isNotEqualTo(Evento.ids("", "a"));
        }

        @Test
        void original_version_zero_is_refused_when_the_aggregate_exists() {
            String id = evento.aggregator("taken")
                    .originalVersion(0)
                    .event(new Account.Opened("First", 1))
                    .commit();
            List<StoredEvent> before = storedEvents(executor);

            assertThatExceptionOfType(ConcurrencyException.class)
                    .isThrownBy(() -> evento.aggregator(id)
                            .originalVersion(0)
                            .event(new Account.Opened("Second", 2))
                            .commit())
                    .satisfies(e -> {
                        assertThat(e.aggregatorType()).isEqualTo(ACCOUNT_TYPE);
                        assertThat(e.aggregatorId()).isEqualTo("taken");
                        assertThat(e.expectedVersion()).isZero();
                    });
            assertThat(storedEvents(executor)).isEqualTo(before);
            assertThat(evento.load(ACCOUNT, id))
                    .hasValueSatisfying(l -> assertThat(l.state().owner()).isEqualTo("First"));
        }

        @Test
        void events_of_one_commit_get_consecutive_versions_in_order_and_share_the_commit_metadata() {
            String other = evento.create().event(new Owner.Created("noise")).commit();
            String id = evento.create()
                    .event(new Account.Opened("Multi", 0))
                    .event(new Account.Deposited(1))
                    .event(new Account.Deposited(2))
                    .event(new Account.Renamed("Multiple"))
                    .commit();
            evento.aggregator(other).event(new Owner.NameChanged("more noise")).commit();

            List<Event<?>> events = events(List.of(EventFilter.aggregate(Account.class, id)), RoutingFilter.ALL);
            assertThat(events).extracting(Event::version).containsExactly(1, 2, 3, 4);
            assertThat(payloads(events))
                    .containsExactly(
                            new Account.Opened("Multi", 0),
                            new Account.Deposited(1),
                            new Account.Deposited(2),
                            new Account.Renamed("Multiple"));
            assertThat(events.stream().map(e -> e.metadata().id()).distinct()).hasSize(1);
            assertThat(events.stream().map(Event::id).distinct()).hasSize(4);
            // One commit is contiguous in the global order of a single-writer log, and in any case
            // in version order.
            List<String> globalOrder = ids(events(List.of(), RoutingFilter.ALL));
            assertThat(globalOrder).containsSubsequence(ids(events));
        }

        @Test
        void events_are_stored_under_their_annotated_names() {
            String id = evento.create()
                    .event(new Account.Opened("Named", 0))
                    .event(new Account.Renamed("Renamed"))
                    .commit();

            assertThat(executor.readAggregate(ACCOUNT_TYPE, id, 0, 10))
                    .extracting(StoredEvent::aggregatorType, StoredEvent::name)
                    .containsExactly(tuple(ACCOUNT_TYPE, "Opened"), tuple(ACCOUNT_TYPE, "OwnerRenamed"));
        }

        @Test
        void committing_nothing_is_an_illegal_state_and_writes_nothing() {
            evento.create().event(new Account.Opened("Existing", 1)).commit();
            List<StoredEvent> before = storedEvents(executor);

            assertThatThrownBy(() -> evento.create().commit()).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> evento.aggregator("x").commit()).isInstanceOf(IllegalStateException.class);
            assertThatThrownBy(() -> evento.aggregator("x").originalVersion(0).commit())
                    .isInstanceOf(IllegalStateException.class);
            assertThat(storedEvents(executor)).isEqualTo(before);
        }

        @Test
        void a_commit_builder_cannot_be_committed_twice() {
            CommitBuilder commit = evento.create().event(new Account.Opened("Once", 1));
            String id = commit.commit();
            List<StoredEvent> before = storedEvents(executor);

            assertThatThrownBy(commit::commit).isInstanceOf(IllegalStateException.class);
            assertThat(storedEvents(executor)).isEqualTo(before);
            assertThat(evento.load(ACCOUNT, id))
                    .hasValueSatisfying(l -> assertThat(l.version()).isEqualTo(1));
        }

        @Test
        void an_event_of_an_unregistered_family_is_refused_and_nothing_is_written() {
            evento.create().event(new Account.Opened("Existing", 1)).commit();
            List<StoredEvent> before = storedEvents(executor);

            assertThatThrownBy(() ->
                            evento.create().event(new Audit.Logged("hello")).commit())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(Audit.Logged.class.getName());
            assertThatThrownBy(() -> evento.create()
                            .event(new Account.Opened("x", 1))
                            .event(new Audit.Logged("hello"))
                            .commit())
                    .isInstanceOf(IllegalArgumentException.class);
            assertThat(storedEvents(executor)).isEqualTo(before);
        }

        @Test
        void events_of_two_families_in_one_commit_are_refused_and_nothing_is_written() {
            String id = evento.create().event(new Account.Opened("Existing", 1)).commit();
            List<StoredEvent> before = storedEvents(executor);

            assertThatThrownBy(() -> evento.aggregator(id)
                            .event(new Account.Deposited(1))
                            .event(new Owner.Created("intruder"))
                            .commit())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(ACCOUNT_TYPE)
                    .hasMessageContaining(OWNER_TYPE);
            assertThat(storedEvents(executor)).isEqualTo(before);
        }

        @Test
        void a_committed_event_carries_its_identity_version_name_and_commit_time() {
            Instant before = Instant.now();
            String id = evento.create()
                    .routingKey("rk")
                    .event(new Account.Opened("Stamped", 3))
                    .event(new Account.Renamed("Restamped"))
                    .commit();
            Instant after = Instant.now();

            List<Event<?>> events = events(List.of(), RoutingFilter.ALL);
            assertThat(events).hasSize(2);
            assertThat(events).allSatisfy(e -> {
                assertThat(e.id()).matches(ULID);
                assertThat(e.aggregatorType()).isEqualTo(ACCOUNT_TYPE);
                assertThat(e.aggregatorId()).isEqualTo(id);
                assertThat(e.routingKey()).contains("rk");
                assertThat(e.timestamp()).isBetween(before.minusMillis(1), after.plusMillis(1));
            });
            assertThat(events).extracting(Event::name).containsExactly("Opened", "OwnerRenamed");
            assertThat(events).extracting(Event::version).containsExactly(1, 2);
        }

        @Test
        void a_written_event_reads_back_field_for_field_and_byte_for_byte() {
            byte[] data = "{\"owner\":\"Raw\",\"balance\":42}".getBytes(StandardCharsets.UTF_8);
            StoredEvent first = stored(ACCOUNT_TYPE, "raw", 1, "Opened", Optional.of("raw-key"), data);
            StoredEvent second = new StoredEvent(
                    newEventId(),
                    ACCOUNT_TYPE,
                    "raw",
                    2,
                    "Deposited",
                    Optional.of("raw-key"),
                    json("{\"amount\":8}"),
                    json("{\"id\":\"req-1\",\"requestedBy\":\"me\",\"n\":1}"),
                    TIMESTAMP_MICROS + 1_000);
            executor.write(List.of(first, second));

            assertThat(storedEvents(executor)).containsExactly(first, second);
            assertThat(executor.readAggregate(ACCOUNT_TYPE, "raw", 0, 10)).containsExactly(first, second);
            assertThat(executor.lastEvent(ACCOUNT_TYPE, "raw")).contains(second);
            assertThat(evento.load(ACCOUNT, "raw")).hasValueSatisfying(l -> {
                assertThat(l.state()).isEqualTo(new AccountView("Raw", 50, 1));
                assertThat(l.version()).isEqualTo(2);
            });
            assertThat(events(List.of(), RoutingFilter.ALL).get(1).metadata()).satisfies(m -> {
                assertThat(m.id()).isEqualTo("req-1");
                assertThat(m.requestedBy()).contains("me");
                assertThat(m.get("n", Integer.class)).contains(1);
            });
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Optimistic concurrency
    // ---------------------------------------------------------------------------------------------

    /** A commit with an original version succeeds only at exactly that version. */
    @Nested
    public class OriginalVersion {
        /** Creates the suite. */
        public OriginalVersion() {}

        @Test
        void a_stale_original_version_is_rejected_and_nothing_is_written() {
            String id = evento.create().event(new Account.Opened("Alice", 1000)).commit();
            assertThat(evento.load(ACCOUNT, id).orElseThrow().version()).isEqualTo(1);
            evento.aggregator(id)
                    .originalVersion(1)
                    .event(new Account.Deposited(100))
                    .commit();
            Loaded<AccountView> loaded = evento.load(ACCOUNT, id).orElseThrow();
            List<StoredEvent> before = storedEvents(executor);

            assertThatExceptionOfType(ConcurrencyException.class)
                    .isThrownBy(() -> evento.aggregator(id)
                            .originalVersion(1)
                            .event(new Account.Deposited(200))
                            .event(new Account.Deposited(300))
                            .commit())
                    .satisfies(e -> {
                        assertThat(e.aggregatorType()).isEqualTo(ACCOUNT_TYPE);
                        assertThat(e.aggregatorId()).isEqualTo(id);
                        assertThat(e.expectedVersion()).isEqualTo(1);
                        assertThat(e.getMessage()).contains("invalid original version");
                        assertThat(e.isTransient()).isFalse();
                    });

            assertThat(evento.load(ACCOUNT, id)).contains(loaded);
            assertThat(loaded.version()).isEqualTo(2);
            assertThat(loaded.state().balance()).isEqualTo(1100);
            assertThat(storedEvents(executor)).isEqualTo(before);
        }

        @Test
        void an_original_version_ahead_of_the_aggregate_is_rejected_and_leaves_no_hole() {
            String id = evento.create()
                    .event(new Account.Opened("Bob", 0))
                    .event(new Account.Deposited(1))
                    .commit();
            List<StoredEvent> before = storedEvents(executor);

            assertThatExceptionOfType(ConcurrencyException.class)
                    .isThrownBy(() -> evento.aggregator(id)
                            .originalVersion(5)
                            .event(new Account.Deposited(2))
                            .commit())
                    .satisfies(e -> {
                        assertThat(e.aggregatorId()).isEqualTo(id);
                        assertThat(e.expectedVersion()).isEqualTo(5);
                    });
            assertThatExceptionOfType(ConcurrencyException.class)
                    .isThrownBy(() -> evento.aggregator("never-created")
                            .originalVersion(1)
                            .event(new Account.Deposited(2))
                            .commit())
                    .satisfies(e -> assertThat(e.expectedVersion()).isEqualTo(1));
            assertThat(storedEvents(executor)).isEqualTo(before);

            evento.aggregator(id)
                    .originalVersion(2)
                    .event(new Account.Deposited(3))
                    .commit();
            assertThat(versions(executor.readAggregate(ACCOUNT_TYPE, id, 0, 10)))
                    .containsExactly(1, 2, 3);
            assertThat(executor.lastEvent(ACCOUNT_TYPE, "never-created")).isEmpty();
        }

        @Test
        void a_loaded_state_cannot_be_appended_to_after_another_commit() {
            String id = evento.create().event(new Account.Opened("Carol", 10)).commit();
            Loaded<AccountView> first = evento.load(ACCOUNT, id).orElseThrow();
            Loaded<AccountView> second = evento.load(ACCOUNT, id).orElseThrow();

            first.append().event(new Account.Deposited(5)).commit();
            List<StoredEvent> before = storedEvents(executor);

            assertThatExceptionOfType(ConcurrencyException.class)
                    .isThrownBy(() ->
                            second.append().event(new Account.Withdrawn(10)).commit())
                    .satisfies(e -> assertThat(e.expectedVersion()).isEqualTo(1));
            assertThat(storedEvents(executor)).isEqualTo(before);
            assertThat(evento.load(ACCOUNT, id))
                    .hasValueSatisfying(l -> assertThat(l.state()).isEqualTo(new AccountView("Carol", 15, 1)));
        }

        @Test
        void a_write_through_the_spi_at_the_wrong_version_writes_nothing() {
            executor.write(List.of(
                    stored(ACCOUNT_TYPE, "spi", 1, "Deposited", Optional.empty(), json("{\"amount\":1}")),
                    stored(ACCOUNT_TYPE, "spi", 2, "Deposited", Optional.empty(), json("{\"amount\":2}"))));
            List<StoredEvent> before = storedEvents(executor);

            assertThatExceptionOfType(ConcurrencyException.class)
                    .isThrownBy(() -> executor.write(List.of(
                            stored(ACCOUNT_TYPE, "spi", 2, "Deposited", Optional.empty(), json("{\"amount\":3}")),
                            stored(ACCOUNT_TYPE, "spi", 3, "Deposited", Optional.empty(), json("{\"amount\":4}")))))
                    .satisfies(e -> assertThat(e.expectedVersion()).isEqualTo(1));
            assertThatExceptionOfType(ConcurrencyException.class)
                    .isThrownBy(() -> executor.write(List.of(
                            stored(ACCOUNT_TYPE, "spi", 4, "Deposited", Optional.empty(), json("{\"amount\":5}")))))
                    .satisfies(e -> assertThat(e.expectedVersion()).isEqualTo(3));
            assertThatExceptionOfType(ConcurrencyException.class)
                    .isThrownBy(() -> executor.write(List.of(
                            stored(ACCOUNT_TYPE, "spi", 1, "Deposited", Optional.empty(), json("{\"amount\":6}")))))
                    .satisfies(e -> assertThat(e.expectedVersion()).isZero());
            assertThat(storedEvents(executor)).isEqualTo(before);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Concurrency
    // ---------------------------------------------------------------------------------------------

    /** Concurrent writers and readers: one winner per version, atomic commits, a log without gaps. */
    @Nested
    public class Concurrency {
        /** Creates the suite. */
        public Concurrency() {}

        /** One commit attempt of a worker: its tag (the commit's metadata id) and loaded version. */
        private record Attempt(String tag, int loadedVersion) {}

        @Test
        void concurrent_commits_from_the_same_loaded_version_have_exactly_one_winner_each_round() throws Exception {
            int workers = 8;
            int rounds = 20;
            int perCommit = 3;
            String id = evento.create().event(new Account.Opened("race", 0)).commit();
            CyclicBarrier barrier = new CyclicBarrier(workers);
            ConcurrentLinkedQueue<Attempt> winners = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Attempt> losers = new ConcurrentLinkedQueue<>();

            runConcurrently(workers, w -> {
                for (int round = 0; round < rounds; round++) {
                    barrier.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                    Loaded<AccountView> loaded = evento.load(ACCOUNT, id).orElseThrow();
                    barrier.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                    Attempt attempt = new Attempt("w" + w + "-r" + round, loaded.version());
                    if (tryCommit(loaded, attempt.tag(), perCommit)) {
                        winners.add(attempt);
                    } else {
                        losers.add(attempt);
                    }
                }
            });

            assertThat(winners).hasSize(rounds);
            assertThat(losers).hasSize(rounds * (workers - 1));
            assertThat(winners)
                    .extracting(Attempt::loadedVersion)
                    .containsExactlyInAnyOrderElementsOf(IntStream.range(0, rounds)
                            .map(r -> 1 + r * perCommit)
                            .boxed()
                            .toList());
            assertAggregateHoldsExactlyTheWinners(id, winners, losers, perCommit);
        }

        @Test
        void workers_retrying_on_conflict_all_win_eventually_with_no_holes_or_duplicates() throws Exception {
            int workers = 6;
            int winsEach = 5;
            int perCommit = 2;
            String id = evento.create().event(new Account.Opened("retry", 0)).commit();
            CountDownLatch start = new CountDownLatch(1);
            ConcurrentLinkedQueue<Attempt> winners = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<Attempt> losers = new ConcurrentLinkedQueue<>();

            // An observer loading the aggregate meanwhile must only ever see whole commits.
            AtomicBoolean done = new AtomicBoolean();
            List<Loaded<AccountView>> observed = new CopyOnWriteArrayList<>();
            Thread observer = Thread.ofPlatform().unstarted(() -> {
                start.countDown();
                do {
                    observed.add(evento.load(ACCOUNT, id).orElseThrow());
                } while (!done.get());
            });
            runConcurrently(
                    workers,
                    w -> {
                        assertThat(start.await(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                                .isTrue();
                        int wins = 0;
                        for (int attempts = 1; wins < winsEach; attempts++) {
                            assertThat(attempts).as("attempts of worker %d", w).isLessThan(10_000);
                            Loaded<AccountView> loaded =
                                    evento.load(ACCOUNT, id).orElseThrow();
                            Attempt attempt = new Attempt("w" + w + "-a" + attempts, loaded.version());
                            if (tryCommit(loaded, attempt.tag(), perCommit)) {
                                winners.add(attempt);
                                wins++;
                            } else {
                                losers.add(attempt);
                            }
                        }
                    },
                    observer);
            done.set(true);
            assertThat(observer.join(PATIENCE)).as("the observer finished").isTrue();

            assertThat(observed).isNotEmpty().allSatisfy(l -> {
                assertThat((l.version() - 1) % perCommit)
                        .as("a load saw part of a commit: %s", l)
                        .isZero();
                assertThat(l.state().deposits()).isEqualTo(l.version() - 1);
            });
            assertThat(winners).hasSize(workers * winsEach);
            assertThat(winners)
                    .extracting(Attempt::loadedVersion)
                    .containsExactlyInAnyOrderElementsOf(IntStream.range(0, workers * winsEach)
                            .map(r -> 1 + r * perCommit)
                            .boxed()
                            .toList());
            assertAggregateHoldsExactlyTheWinners(id, winners, losers, perCommit);
        }

        @Test
        void concurrent_appends_without_an_original_version_all_land_without_holes() throws Exception {
            int workers = 8;
            int appendsEach = 25;
            String id = evento.create().event(new Account.Opened("append", 0)).commit();
            CountDownLatch start = new CountDownLatch(1);

            runConcurrently(
                    workers,
                    w -> {
                        assertThat(start.await(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                                .isTrue();
                        for (int i = 0; i < appendsEach; i++) {
                            evento.aggregator(id)
                                    .metadata(Metadata.create().withId("w" + w + "-" + i))
                                    .event(new Account.Deposited(1))
                                    .event(new Account.Deposited(2))
                                    .commit();
                        }
                    },
                    Thread.ofVirtual().unstarted(start::countDown));

            List<Event<?>> events = events(List.of(EventFilter.aggregate(Account.class, id)), RoutingFilter.ALL);
            int total = 1 + workers * appendsEach * 2;
            assertThat(events)
                    .extracting(Event::version)
                    .containsExactlyElementsOf(
                            IntStream.rangeClosed(1, total).boxed().toList());
            Map<String, List<Integer>> versionsByCommit = events.stream()
                    .skip(1)
                    .collect(Collectors.groupingBy(
                            e -> e.metadata().id(), Collectors.mapping(Event::version, Collectors.toList())));
            assertThat(versionsByCommit).hasSize(workers * appendsEach);
            assertThat(versionsByCommit.values())
                    .allSatisfy(v -> assertThat(v)
                            .hasSize(2)
                            .satisfies(pair -> assertThat(pair.get(1)).isEqualTo(pair.get(0) + 1)));
            assertThat(evento.load(ACCOUNT, id))
                    .hasValueSatisfying(l -> assertThat(l.state().balance()).isEqualTo(workers * appendsEach * 3L));
        }

        @Test
        void concurrent_creations_of_one_chosen_id_have_exactly_one_winner() throws Exception {
            int workers = 8;
            String id = Evento.ids("tck", "contended");
            CountDownLatch start = new CountDownLatch(1);
            ConcurrentLinkedQueue<String> winners = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<ConcurrencyException> conflicts = new ConcurrentLinkedQueue<>();

            runConcurrently(
                    workers,
                    w -> {
                        assertThat(start.await(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                                .isTrue();
                        try {
                            evento.aggregator(id)
                                    .originalVersion(0)
                                    .event(new Account.Opened("w" + w, w))
                                    .event(new Account.Deposited(w))
                                    .commit();
                            winners.add("w" + w);
                        } catch (ConcurrencyException e) {
                            conflicts.add(e);
                        }
                    },
                    Thread.ofVirtual().unstarted(start::countDown));

            assertThat(winners).hasSize(1);
            assertThat(conflicts).hasSize(workers - 1).allSatisfy(e -> {
                assertThat(e.aggregatorId()).isEqualTo(id);
                assertThat(e.expectedVersion()).isZero();
            });
            List<StoredEvent> stored = storedEvents(executor);
            assertThat(stored).hasSize(2);
            assertThat(evento.load(ACCOUNT, id)).hasValueSatisfying(l -> {
                assertThat(l.version()).isEqualTo(2);
                assertThat(l.state().owner()).isEqualTo(winners.peek());
            });
        }

        @Test
        void concurrent_commits_to_different_aggregates_are_all_stored_once() throws Exception {
            int workers = 6;
            int commitsEach = 25;
            CountDownLatch start = new CountDownLatch(1);
            ConcurrentLinkedQueue<String> created = new ConcurrentLinkedQueue<>();

            runConcurrently(
                    workers,
                    w -> {
                        assertThat(start.await(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                                .isTrue();
                        for (int i = 0; i < commitsEach; i++) {
                            String id = evento.create()
                                    .event(new Account.Opened("w" + w, i))
                                    .event(new Account.Deposited(1))
                                    .commit();
                            created.add(id);
                            evento.aggregator(id)
                                    .event(new Account.Deposited(2))
                                    .commit();
                        }
                    },
                    Thread.ofVirtual().unstarted(start::countDown));

            List<StoredEvent> all = storedEvents(executor);
            assertThat(created).hasSize(workers * commitsEach).doesNotHaveDuplicates();
            assertThat(all).hasSize(workers * commitsEach * 3);
            assertThat(all.stream().map(StoredEvent::id).distinct()).hasSize(all.size());
            Map<String, List<Integer>> versionsById = all.stream()
                    .collect(Collectors.groupingBy(
                            StoredEvent::aggregatorId,
                            LinkedHashMap::new,
                            Collectors.mapping(StoredEvent::version, Collectors.toList())));
            assertThat(versionsById.keySet()).containsExactlyInAnyOrderElementsOf(created);
            assertThat(versionsById.values()).allSatisfy(v -> assertThat(v).containsExactly(1, 2, 3));
        }

        @Test
        void a_reader_tailing_the_log_during_concurrent_commits_sees_every_event_once_in_the_final_order()
                throws Exception {
            int writers = 4;
            int commitsEach = 40;
            int perCommit = 2;
            int total = writers * commitsEach * perCommit;
            CountDownLatch start = new CountDownLatch(1);
            List<String> seen = new CopyOnWriteArrayList<>();

            Thread reader = Thread.ofPlatform().unstarted(() -> {
                start.countDown();
                Optional<String> cursor = Optional.empty();
                long deadline = System.nanoTime() + PATIENCE.toNanos();
                while (seen.size() < total && System.nanoTime() < deadline) {
                    Page<StoredEvent> page = executor.read(
                            new ReadQuery(List.of(), RoutingFilter.ALL, new PageRequest(Direction.FORWARD, 7, cursor)));
                    page.nodes().forEach(e -> seen.add(e.id()));
                    if (page.isEmpty()) {
                        Thread.onSpinWait();
                    } else {
                        cursor = page.pageInfo().endCursor();
                    }
                }
            });
            runConcurrently(
                    writers,
                    w -> {
                        assertThat(start.await(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                                .isTrue();
                        String id = evento.create()
                                .event(new Account.Opened("tail-" + w, 0))
                                .event(new Account.Deposited(0))
                                .commit();
                        for (int i = 1; i < commitsEach; i++) {
                            evento.aggregator(id)
                                    .event(new Account.Deposited(i))
                                    .event(new Account.Deposited(-i))
                                    .commit();
                        }
                    },
                    reader);
            assertThat(reader.join(PATIENCE)).as("the reader finished").isTrue();

            List<String> finalOrder =
                    storedEvents(executor).stream().map(StoredEvent::id).toList();
            assertThat(finalOrder).hasSize(total);
            assertThat(seen).containsExactlyElementsOf(finalOrder);
        }

        /** Commits {@code perCommit} deposits tagged with {@code tag}; false if it lost the race. */
        private boolean tryCommit(Loaded<AccountView> loaded, String tag, int perCommit) {
            CommitBuilder commit = loaded.append().metadata(Metadata.create().withId(tag));
            for (int i = 1; i <= perCommit; i++) {
                commit.event(new Account.Deposited(i));
            }
            try {
                commit.commit();
                return true;
            } catch (ConcurrencyException e) {
                assertThat(e.expectedVersion()).isEqualTo(loaded.version());
                assertThat(e.aggregatorId()).isEqualTo(loaded.id());
                return false;
            }
        }

        private void assertAggregateHoldsExactlyTheWinners(
                String id, Iterable<Attempt> winners, Iterable<Attempt> losers, int perCommit) {
            List<Event<?>> events = events(List.of(EventFilter.aggregate(Account.class, id)), RoutingFilter.ALL);
            int expectedEvents = 1;
            for (Attempt ignored : winners) {
                expectedEvents += perCommit;
            }
            assertThat(events)
                    .extracting(Event::version)
                    .containsExactlyElementsOf(
                            IntStream.rangeClosed(1, expectedEvents).boxed().toList());
            Map<String, List<Event<?>>> byTag = events.stream()
                    .skip(1)
                    .collect(Collectors.groupingBy(e -> e.metadata().id()));
            for (Attempt winner : winners) {
                assertThat(byTag.get(winner.tag()))
                        .as("events of winning commit %s", winner.tag())
                        .isNotNull()
                        .satisfies(commit -> {
                            assertThat(commit)
                                    .extracting(Event::version)
                                    .containsExactlyElementsOf(IntStream.rangeClosed(1, perCommit)
                                            .map(i -> winner.loadedVersion() + i)
                                            .boxed()
                                            .toList());
                            assertThat(payloads(commit))
                                    .containsExactlyElementsOf(LongStream.rangeClosed(1, perCommit)
                                            .mapToObj(Account.Deposited::new)
                                            .toList());
                        });
            }
            for (Attempt loser : losers) {
                assertThat(byTag).as("events of losing commit %s", loser.tag()).doesNotContainKey(loser.tag());
            }
            long deposited = (long) (events.size() - 1) / perCommit * (perCommit * (perCommit + 1L) / 2);
            assertThat(evento.load(ACCOUNT, id)).hasValueSatisfying(l -> {
                assertThat(l.version()).isEqualTo(events.size());
                assertThat(l.state().balance()).isEqualTo(deposited);
            });
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Metadata
    // ---------------------------------------------------------------------------------------------

    /** Metadata is stored with every event of a commit and reads back intact. */
    @Nested
    public class CommitMetadata {
        /** Creates the suite. */
        public CommitMetadata() {}

        @Test
        void id_requester_and_typed_custom_entries_survive_a_round_trip() {
            Origin origin = new Origin("web", 3, List.of("a", "b"));
            Metadata metadata = Metadata.create()
                    .withId("request-42")
                    .withRequestedBy("user-1")
                    .withRequestedAs("admin")
                    .with("ip", "10.0.0.7")
                    .with("attempt", 3)
                    .with("amount", 12_345_678_901L)
                    .with("ratio", 0.25)
                    .with("flag", true)
                    .with("origin", origin);
            String id = evento.create()
                    .metadata(metadata)
                    .event(new Account.Opened("Meta", 1))
                    .event(new Account.Deposited(2))
                    .commit();

            List<Event<?>> events = events(List.of(EventFilter.aggregate(Account.class, id)), RoutingFilter.ALL);
            assertThat(events).hasSize(2).allSatisfy(e -> {
                Metadata m = e.metadata();
                assertThat(m.id()).isEqualTo("request-42");
                assertThat(m.requestedBy()).contains("user-1");
                assertThat(m.requestedAs()).contains("admin");
                assertThat(m.get("ip", String.class)).contains("10.0.0.7");
                assertThat(m.get("attempt", Integer.class)).contains(3);
                assertThat(m.get("amount", Long.class)).contains(12_345_678_901L);
                assertThat(m.get("ratio", Double.class)).contains(0.25);
                assertThat(m.get("flag", Boolean.class)).contains(true);
                assertThat(m.get("origin", Origin.class)).contains(origin);
                assertThat(m.get("missing", String.class)).isEmpty();
                assertThat(m.keys()).containsExactly("ip", "attempt", "amount", "ratio", "flag", "origin");
                assertThat(m).isEqualTo(metadata);
            });
        }

        @Test
        void requested_by_and_requested_as_set_on_the_commit_override_the_metadata() {
            String id = evento.create()
                    .metadata(Metadata.create().withRequestedBy("alice").withRequestedAs("alice"))
                    .requestedBy("bob")
                    .requestedAs("support")
                    .event(new Account.Opened("Override", 1))
                    .commit();

            assertThat(events(List.of(EventFilter.aggregate(Account.class, id)), RoutingFilter.ALL))
                    .singleElement()
                    .satisfies(e -> {
                        assertThat(e.metadata().requestedBy()).contains("bob");
                        assertThat(e.metadata().requestedAs()).contains("support");
                    });
        }

        @Test
        void default_metadata_has_a_fresh_ulid_id_per_commit_and_nothing_else() {
            String first = evento.create()
                    .event(new Account.Opened("One", 1))
                    .event(new Account.Deposited(1))
                    .commit();
            String second = evento.create().event(new Account.Opened("Two", 2)).commit();

            List<Event<?>> events = events(List.of(), RoutingFilter.ALL);
            assertThat(events).hasSize(3).allSatisfy(e -> {
                assertThat(e.metadata().id()).matches(ULID);
                assertThat(e.metadata().requestedBy()).isEmpty();
                assertThat(e.metadata().requestedAs()).isEmpty();
                assertThat(e.metadata().keys()).isEmpty();
            });
            assertThat(events.get(0).aggregatorId()).isEqualTo(first);
            assertThat(events.get(2).aggregatorId()).isEqualTo(second);
            assertThat(events.get(0).metadata().id())
                    .isEqualTo(events.get(1).metadata().id());
            assertThat(events.get(2).metadata().id())
                    .isNotEqualTo(events.get(0).metadata().id());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Pagination
    // ---------------------------------------------------------------------------------------------

    /** Relay-style pages over the global log, in both directions. */
    @Nested
    public class Pagination {
        /** Creates the suite. */
        public Pagination() {}

        @Test
        void an_empty_store_reads_as_an_empty_page_in_both_directions() {
            for (PageRequest request : List.of(PageRequest.forward(10), PageRequest.backward(10))) {
                Page<StoredEvent> page = executor.read(ReadQuery.all(request));
                assertThat(page.edges()).as("%s", request).isEmpty();
                assertThat(page.pageInfo())
                        .as("%s", request)
                        .isEqualTo(new PageInfo(false, false, Optional.empty(), Optional.empty()));
                assertThat(evento.read(ReadQuery.of(request, EventFilter.type(Account.class)))
                                .edges())
                        .isEmpty();
            }
        }

        @Test
        void paging_forward_returns_every_event_once_in_commit_order_for_every_page_size() {
            int n = 20;
            List<Long> expected = seedDeposits(n);

            for (int size : List.of(1, 2, 3, 4, 5, 7, 10, 19, 20, 21, 100)) {
                Walk walk = walkForward(List.of(), RoutingFilter.ALL, size);
                assertThat(amounts(walk.events())).as("page size %d", size).isEqualTo(expected);
                assertThat(walk.pages()).as("pages of size %d", size).isEqualTo((n + size - 1) / size);
            }
        }

        @Test
        void paging_backward_returns_the_same_events_as_paging_forward() {
            int n = 20;
            List<Long> expected = seedDeposits(n);

            for (int size : List.of(1, 2, 3, 4, 5, 7, 10, 19, 20, 21, 100)) {
                Walk walk = walkBackward(List.of(), RoutingFilter.ALL, size);
                assertThat(amounts(walk.events())).as("page size %d", size).isEqualTo(expected);
                assertThat(walk.pages()).as("pages of size %d", size).isEqualTo((n + size - 1) / size);
            }
        }

        @Test
        void paging_forward_then_backward_yields_the_same_sequence_as_the_log_grows() {
            List<Long> expected = new ArrayList<>();
            for (int n = 0; n <= 13; n++) {
                for (int size = 1; size <= 6; size++) {
                    Walk forward = walkForward(List.of(), RoutingFilter.ALL, size);
                    Walk backward = walkBackward(List.of(), RoutingFilter.ALL, size);
                    assertThat(amounts(forward.events()))
                            .as("forward, n=%d size=%d", n, size)
                            .isEqualTo(expected);
                    assertThat(ids(backward.events()))
                            .as("backward, n=%d size=%d", n, size)
                            .isEqualTo(ids(forward.events()));
                }
                long next = n + 1;
                evento.aggregator("grow-" + (n % 4))
                        .event(new Account.Deposited(next))
                        .commit();
                expected.add(next);
            }
        }

        @Test
        void a_page_read_from_any_cursor_holds_the_neighbouring_events() {
            int n = 17;
            seedDeposits(n);
            Page<StoredEvent> all = executor.read(ReadQuery.all(PageRequest.forward(100)));
            List<String> ids = all.nodes().stream().map(StoredEvent::id).toList();
            assertThat(ids).hasSize(n);

            for (int i = 0; i < n; i++) {
                String cursor = all.edges().get(i).cursor();
                for (int size : List.of(1, 2, 3, 5, 16, 17, 20)) {
                    Page<StoredEvent> after = executor.read(ReadQuery.all(PageRequest.forward(size, cursor)));
                    assertThat(after.nodes())
                            .as("forward(%d) after #%d", size, i)
                            .extracting(StoredEvent::id)
                            .containsExactlyElementsOf(ids.subList(i + 1, Math.min(n, i + 1 + size)));
                    assertThat(after.pageInfo().hasNextPage())
                            .as("hasNextPage of forward(%d) after #%d", size, i)
                            .isEqualTo(n - 1 - i > size);
                    assertThat(after.pageInfo().hasPreviousPage()).isTrue();
                    assertBoundaryCursors(after);

                    Page<StoredEvent> before = executor.read(ReadQuery.all(PageRequest.backward(size, cursor)));
                    assertThat(before.nodes())
                            .as("backward(%d) before #%d", size, i)
                            .extracting(StoredEvent::id)
                            .containsExactlyElementsOf(ids.subList(Math.max(0, i - size), i));
                    assertThat(before.pageInfo().hasPreviousPage())
                            .as("hasPreviousPage of backward(%d) before #%d", size, i)
                            .isEqualTo(i > size);
                    assertThat(before.pageInfo().hasNextPage()).isTrue();
                    assertBoundaryCursors(before);
                }
            }
        }

        @Test
        void forward_from_the_last_events_cursor_is_an_empty_last_page() {
            seedDeposits(5);
            Page<StoredEvent> all = executor.read(ReadQuery.all(PageRequest.forward(5)));
            assertThat(all.pageInfo().hasNextPage()).isFalse();
            String last = all.pageInfo().endCursor().orElseThrow();

            Page<StoredEvent> page = executor.read(ReadQuery.all(PageRequest.forward(5, last)));

            assertThat(page.edges()).isEmpty();
            assertThat(page.pageInfo()).isEqualTo(new PageInfo(true, false, Optional.empty(), Optional.empty()));
        }

        @Test
        void backward_from_the_first_events_cursor_is_an_empty_first_page() {
            seedDeposits(5);
            Page<StoredEvent> all = executor.read(ReadQuery.all(PageRequest.backward(5)));
            assertThat(all.pageInfo().hasPreviousPage()).isFalse();
            assertThat(all.pageInfo().hasNextPage()).isFalse();
            String first = all.pageInfo().startCursor().orElseThrow();

            Page<StoredEvent> page = executor.read(ReadQuery.all(PageRequest.backward(5, first)));

            assertThat(page.edges()).isEmpty();
            assertThat(page.pageInfo()).isEqualTo(new PageInfo(false, true, Optional.empty(), Optional.empty()));
        }

        @Test
        void backward_without_a_cursor_reads_the_latest_events_in_ascending_order() {
            List<Long> expected = seedDeposits(10);

            Page<Event<?>> page = evento.read(ReadQuery.all(PageRequest.backward(3)));

            assertThat(amounts(page.nodes())).isEqualTo(expected.subList(7, 10));
            assertThat(page.pageInfo().hasPreviousPage()).isTrue();
            assertThat(page.pageInfo().hasNextPage()).isFalse();
        }

        @Test
        void a_reader_at_the_end_sees_the_events_committed_after_its_cursor() {
            seedDeposits(3);
            String end = executor.read(ReadQuery.all(PageRequest.forward(10)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();
            String id = evento.create().event(new Account.Opened("late", 0)).commit();
            evento.aggregator("acc-0").event(new Account.Deposited(99)).commit();

            Page<Event<?>> page = evento.read(ReadQuery.all(PageRequest.forward(10, end)));

            assertThat(payloads(page.nodes()))
                    .containsExactly(new Account.Opened("late", 0), new Account.Deposited(99));
            assertThat(page.nodes().getFirst().aggregatorId()).isEqualTo(id);
            assertThat(page.pageInfo().hasNextPage()).isFalse();
            assertThat(evento.read(ReadQuery.all(PageRequest.forward(
                                    10, page.pageInfo().endCursor().orElseThrow())))
                            .edges())
                    .isEmpty();
        }

        @Test
        void page_sizes_outside_the_limits_are_refused() {
            assertThatThrownBy(() -> PageRequest.forward(0)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> PageRequest.backward(-1)).isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> PageRequest.forward(Limits.PAGE_MAX_SIZE + 1))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> executor.readAggregate(ACCOUNT_TYPE, "a", 0, 0))
                    .isInstanceOf(IllegalArgumentException.class);
            assertThatThrownBy(() -> executor.readAggregate(ACCOUNT_TYPE, "a", 0, Limits.PAGE_MAX_SIZE + 1))
                    .isInstanceOf(IllegalArgumentException.class);
            seedDeposits(2);
            assertThat(executor.read(ReadQuery.all(PageRequest.forward(Limits.PAGE_MAX_SIZE)))
                            .edges())
                    .hasSize(2);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Filters
    // ---------------------------------------------------------------------------------------------

    /** Event filters select exactly the matching events, in global order, OR-ed together. */
    @Nested
    public class Filters {
        /** Creates the suite. */
        public Filters() {}

        private List<StoredEvent> all;
        private String acc1;
        private String acc2;
        private String owner1;

        @BeforeEach
        void seedAMixedLog() {
            acc1 = evento.create()
                    .routingKey("eu")
                    .event(new Account.Opened("ann", 10))
                    .commit();
            owner1 = evento.create().event(new Owner.Created("Ann")).commit();
            evento.aggregator(acc1)
                    .event(new Account.Deposited(5))
                    .event(new Account.Withdrawn(3))
                    .commit();
            acc2 = evento.create()
                    .event(new Account.Opened("bob", 0))
                    .event(new Account.Renamed("bobby"))
                    .commit();
            evento.aggregator(owner1).event(new Owner.NameChanged("Annie")).commit();
            evento.aggregator(acc2).event(new Account.Withdrawn(1)).commit();
            evento.create().routingKey("us").event(new Owner.Created("Bob")).commit();
            evento.aggregator(acc1).event(new Account.Renamed("anna")).commit();
            all = storedEvents(executor);
            assertThat(all).hasSize(10);
        }

        @Test
        void a_type_filter_selects_exactly_that_aggregate_types_events_in_global_order() {
            assertSelects(
                    List.of(EventFilter.type(Owner.class)),
                    e -> e.aggregatorType().equals(OWNER_TYPE));
            assertSelects(
                    List.of(EventFilter.type(Account.class)),
                    e -> e.aggregatorType().equals(ACCOUNT_TYPE));
            assertThat(executor.read(ReadQuery.of(PageRequest.forward(10), new EventFilter.ByType("tck/Nothing")))
                            .nodes())
                    .isEmpty();
        }

        @Test
        void an_id_filter_selects_exactly_one_aggregates_events() {
            assertSelects(
                    List.of(EventFilter.aggregate(Account.class, acc1)),
                    e -> e.aggregatorId().equals(acc1));
            assertSelects(
                    List.of(EventFilter.aggregate(Owner.class, owner1)),
                    e -> e.aggregatorId().equals(owner1));
            assertThat(events(List.of(EventFilter.aggregate(Owner.class, acc1)), RoutingFilter.ALL))
                    .isEmpty();
        }

        @Test
        void a_name_filter_selects_one_event_name_across_aggregates() {
            assertSelects(
                    List.of(EventFilter.event(Account.Withdrawn.class)),
                    e -> e.name().equals("Withdrawn"));
            assertSelects(
                    List.of(EventFilter.event(Account.Renamed.class)),
                    e -> e.name().equals("OwnerRenamed"));
            assertThat(EventFilter.event(Account.Renamed.class))
                    .isEqualTo(new EventFilter.ByName(ACCOUNT_TYPE, "OwnerRenamed"));
            assertThat(events(List.of(new EventFilter.ByName(OWNER_TYPE, "Withdrawn")), RoutingFilter.ALL))
                    .isEmpty();
        }

        @Test
        void several_filters_are_or_ed_in_global_order_without_duplicates() {
            assertSelects(
                    List.of(
                            EventFilter.event(Account.Withdrawn.class),
                            EventFilter.type(Owner.class),
                            EventFilter.aggregate(Account.class, acc2)),
                    e -> e.name().equals("Withdrawn")
                            || e.aggregatorType().equals(OWNER_TYPE)
                            || e.aggregatorId().equals(acc2));
            assertSelects(
                    List.of(EventFilter.type(Owner.class), EventFilter.aggregate(Owner.class, owner1)),
                    e -> e.aggregatorType().equals(OWNER_TYPE));
        }

        @Test
        void filtered_reads_page_like_unfiltered_ones() {
            List<EventFilter> filters =
                    List.of(EventFilter.event(Account.Withdrawn.class), EventFilter.aggregate(Account.class, acc1));
            List<String> expected = idsOf(
                    all, e -> e.name().equals("Withdrawn") || e.aggregatorId().equals(acc1));
            assertThat(expected).hasSize(5);

            for (int size : List.of(1, 2, 3, 5, 6)) {
                assertThat(ids(walkForward(filters, RoutingFilter.ALL, size).events()))
                        .as("forward, size %d", size)
                        .isEqualTo(expected);
                assertThat(ids(walkBackward(filters, RoutingFilter.ALL, size).events()))
                        .as("backward, size %d", size)
                        .isEqualTo(expected);
            }
            assertThat(ids(walkForward(filters, RoutingFilter.key("eu"), 2).events()))
                    .isEqualTo(idsOf(all, e -> e.aggregatorId().equals(acc1)));
        }

        private void assertSelects(List<EventFilter> filters, Predicate<StoredEvent> expected) {
            List<String> expectedIds = idsOf(all, expected);
            assertThat(expectedIds).isNotEmpty();
            assertThat(ids(events(filters, RoutingFilter.ALL))).isEqualTo(expectedIds);
            assertThat(executor.read(new ReadQuery(filters, RoutingFilter.ALL, PageRequest.forward(100)))
                            .nodes())
                    .extracting(StoredEvent::id)
                    .isEqualTo(expectedIds);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Safety check
    // ---------------------------------------------------------------------------------------------

    /** Unhandled events are ignored, unless the projection's safety check is on. */
    @Nested
    public class SafetyCheck {
        /** Creates the suite. */
        public SafetyCheck() {}

        private Projection.Builder<Long> openedOnly() {
            return Projection.<Long>builder("tck-opened-only", Account.class, () -> 0L)
                    .on(Account.Opened.class, (s, e) -> e.data().balance());
        }

        @Test
        void with_the_safety_check_an_unhandled_event_is_an_error_naming_it() {
            String id = evento.create()
                    .event(new Account.Opened("Safe", 5))
                    .event(new Account.Renamed("Unsafe"))
                    .commit();
            StoredEvent renamed = executor.lastEvent(ACCOUNT_TYPE, id).orElseThrow();
            Projection<Long> projection = openedOnly().safetyCheck().build();

            assertThatExceptionOfType(UnhandledEventException.class)
                    .isThrownBy(() -> evento.load(projection, id))
                    .satisfies(e -> {
                        assertThat(e.eventName()).isEqualTo("OwnerRenamed");
                        assertThat(e.eventId()).isEqualTo(renamed.id());
                        assertThat(e.getMessage())
                                .contains("OwnerRenamed")
                                .contains(renamed.id())
                                .contains("tck-opened-only");
                    });
        }

        @Test
        void with_the_safety_check_a_skipped_event_type_is_accepted() {
            String id = evento.create()
                    .event(new Account.Opened("Safe", 5))
                    .event(new Account.Renamed("Skipped"))
                    .commit();
            Projection<Long> projection =
                    openedOnly().skip(Account.Renamed.class).safetyCheck().build();

            assertThat(evento.load(projection, id)).hasValueSatisfying(l -> {
                assertThat(l.state()).isEqualTo(5L);
                assertThat(l.version()).isEqualTo(2);
            });

            evento.aggregator(id).event(new Account.Deposited(1)).commit();
            assertThatExceptionOfType(UnhandledEventException.class)
                    .isThrownBy(() -> evento.load(projection, id))
                    .satisfies(e -> assertThat(e.eventName()).isEqualTo("Deposited"));
        }

        @Test
        void skipping_a_whole_family_accepts_all_its_events() {
            String account = evento.create()
                    .event(new Account.Opened("Fam", 1))
                    .event(new Account.Deposited(1))
                    .commit();
            String owner = evento.create().event(new Owner.Created("skip me")).commit();
            Projection<Long> projection = Projection.<Long>builder("tck-skip-family", Account.class, () -> 0L)
                    .on(Account.Opened.class, (s, e) -> e.data().balance())
                    .skip(Account.class)
                    .skip(Owner.class)
                    .safetyCheck()
                    .build();

            assertThat(evento.load(projection, account, AggregateRef.of(Owner.class, owner)))
                    .hasValueSatisfying(l -> {
                        assertThat(l.state()).isEqualTo(1L);
                        assertThat(l.version()).isEqualTo(2);
                    });
        }

        @Test
        void without_the_safety_check_unhandled_events_are_ignored() {
            String id = evento.create()
                    .event(new Account.Opened("Lax", 5))
                    .event(new Account.Deposited(7))
                    .event(new Account.Renamed("Ignored"))
                    .commit();

            assertThat(evento.load(openedOnly().build(), id)).hasValueSatisfying(l -> {
                assertThat(l.state()).isEqualTo(5L);
                assertThat(l.version()).isEqualTo(3);
            });
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Cursors
    // ---------------------------------------------------------------------------------------------

    /** Cursors are opaque: altered ones and those of other stores are refused, never misread. */
    @Nested
    public class Cursors {
        /** Creates the suite. */
        public Cursors() {}

        @Test
        void a_malformed_cursor_is_refused_in_both_directions_and_the_store_is_unchanged() {
            seedDeposits(4);
            List<StoredEvent> before = storedEvents(executor);
            String real = executor.read(ReadQuery.all(PageRequest.forward(2)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();

            List<String> bad = new ArrayList<>(List.of(
                    "not-a-cursor",
                    "x",
                    "!!!!",
                    "%00",
                    "' OR 1=1 --",
                    real.substring(0, real.length() / 2),
                    real.substring(0, real.length() - 1),
                    real + "A",
                    altered(real, real.length() / 2),
                    altered(real, 0),
                    altered(real, real.length() - 2)));
            for (String cursor : bad) {
                assertThat(cursor).isNotEqualTo(real);
                assertRefused(cursor);
            }
            assertThatThrownBy(() -> PageRequest.forward(1, "")).isInstanceOf(InvalidCursorException.class);
            assertThat(storedEvents(executor)).isEqualTo(before);
            assertThat(executor.read(ReadQuery.all(PageRequest.forward(10, real)))
                            .nodes())
                    .containsExactlyElementsOf(before.subList(2, 4));
        }

        @Test
        void a_cursor_from_another_store_is_refused() {
            seedDeposits(3);
            Executor other = openStore();
            Evento otherEvento = eventoOn(other);
            otherEvento.create().event(new Account.Opened("elsewhere", 1)).commit();
            otherEvento.create().event(new Account.Opened("elsewhere too", 2)).commit();
            String foreign = other.read(ReadQuery.all(PageRequest.forward(1)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();
            List<StoredEvent> before = storedEvents(executor);
            List<StoredEvent> otherBefore = storedEvents(other);

            assertRefused(foreign);
            assertThat(storedEvents(executor)).isEqualTo(before);
            assertThat(storedEvents(other)).isEqualTo(otherBefore);
            assertThat(other.read(ReadQuery.all(PageRequest.forward(5, foreign)))
                            .nodes())
                    .containsExactly(otherBefore.get(1));
        }

        private void assertRefused(String cursor) {
            assertThatThrownBy(() -> executor.read(ReadQuery.all(PageRequest.forward(2, cursor))))
                    .as("forward after %s", cursor)
                    .isInstanceOf(InvalidCursorException.class);
            assertThatThrownBy(() -> executor.read(ReadQuery.all(PageRequest.backward(2, cursor))))
                    .as("backward before %s", cursor)
                    .isInstanceOf(InvalidCursorException.class);
            assertThatThrownBy(() ->
                            evento.read(ReadQuery.of(PageRequest.forward(2, cursor), EventFilter.type(Account.class))))
                    .as("filtered forward after %s", cursor)
                    .isInstanceOf(InvalidCursorException.class);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Limits
    // ---------------------------------------------------------------------------------------------

    /** Values at the limits are stored; values over them, or with NUL characters, are refused. */
    @Nested
    public class InputLimits {
        /** Creates the suite. */
        public InputLimits() {}

        @Test
        void ids_routing_keys_and_names_at_the_maximum_length_are_stored_intact() {
            String id = "i".repeat(Limits.ID_MAX_LENGTH - 1) + "é";
            String key = "k".repeat(Limits.NAME_MAX_LENGTH - 1) + "ü";
            evento.aggregator(id)
                    .originalVersion(0)
                    .routingKey(key)
                    .event(new Account.Opened("Max", 1))
                    .commit();
            String type = "t".repeat(Limits.NAME_MAX_LENGTH);
            String name = "n".repeat(Limits.NAME_MAX_LENGTH);
            String wideId = "é".repeat(Limits.ID_MAX_LENGTH);
            StoredEvent wide =
                    stored(type, wideId, 1, name, Optional.of("ß".repeat(Limits.NAME_MAX_LENGTH)), json("{}"));
            executor.write(List.of(wide));

            assertThat(evento.load(ACCOUNT, id)).hasValueSatisfying(l -> {
                assertThat(l.id()).isEqualTo(id);
                assertThat(l.routingKey()).contains(key);
            });
            assertThat(executor.readAggregate(type, wideId, 0, 10)).containsExactly(wide);
            assertThat(executor.lastEvent(type, wideId)).contains(wide);
            assertThat(executor.read(new ReadQuery(
                                    List.of(new EventFilter.ByName(type, name)),
                                    RoutingFilter.key("ß".repeat(Limits.NAME_MAX_LENGTH)),
                                    PageRequest.forward(10)))
                            .nodes())
                    .containsExactly(wide);
            assertThat(executor.read(new ReadQuery(
                                    List.of(new EventFilter.ById(ACCOUNT_TYPE, id)),
                                    RoutingFilter.key(key),
                                    PageRequest.forward(10)))
                            .nodes())
                    .singleElement()
                    .satisfies(e -> assertThat(e.aggregatorId()).isEqualTo(id));
        }

        @Test
        void an_oversize_id_routing_key_or_name_is_refused_and_the_store_is_unchanged() {
            evento.create().event(new Account.Opened("Existing", 1)).commit();
            List<StoredEvent> before = storedEvents(executor);
            String longId = "i".repeat(Limits.ID_MAX_LENGTH + 1);
            String longName = "n".repeat(Limits.NAME_MAX_LENGTH + 1);

            Map<String, ThrowingCallable> refused = new LinkedHashMap<>();
            refused.put(
                    "aggregator id",
                    () -> evento.aggregator(longId)
                            .event(new Account.Opened("x", 1))
                            .commit());
            refused.put(
                    "routing key",
                    () -> evento.create()
                            .routingKey(longName)
                            .event(new Account.Opened("x", 1))
                            .commit());
            refused.put(
                    "stored event id", () -> stored(ACCOUNT_TYPE, longId, 1, "Opened", Optional.empty(), json("{}")));
            refused.put("stored event type", () -> stored(longName, "a", 1, "Opened", Optional.empty(), json("{}")));
            refused.put(
                    "stored event name", () -> stored(ACCOUNT_TYPE, "a", 1, longName, Optional.empty(), json("{}")));
            refused.put(
                    "stored routing key",
                    () -> stored(ACCOUNT_TYPE, "a", 1, "Opened", Optional.of(longName), json("{}")));
            refused.put("id filter", () -> EventFilter.aggregate(Account.class, longId));
            refused.put("routing filter", () -> RoutingFilter.key(longName));
            refused.put("readAggregate id", () -> executor.readAggregate(ACCOUNT_TYPE, longId, 0, 10));
            refused.put("readAggregate type", () -> executor.readAggregate(longName, "a", 0, 10));
            refused.put("lastEvent id", () -> executor.lastEvent(ACCOUNT_TYPE, longId));
            refused.put("lastEvent type", () -> executor.lastEvent(longName, "a"));
            refused.put("lease key", () -> executor.acquireLease(longName, "w1", LONG_TTL));
            refused.put("lease worker", () -> executor.acquireLease("sub", longId, LONG_TTL));
            refused.put("subscriber cursor key", () -> executor.subscriberCursor(longName));
            refused.put("snapshot projection", () -> executor.snapshot(longName, ACCOUNT_TYPE, "a"));
            refused.put("snapshot type", () -> executor.snapshot("p", longName, "a"));
            refused.put("snapshot id", () -> executor.snapshot("p", ACCOUNT_TYPE, longId));
            refused.put("saved snapshot", () -> snapshot("p", ACCOUNT_TYPE, longId, 1, new byte[] {1}));
            assertAllRefused(refused);

            assertThat(storedEvents(executor)).isEqualTo(before);
            assertThat(executor.subscriberCursor("sub")).isEmpty();
            assertThat(executor.acquireLease("sub", "w1", LONG_TTL)).isPresent();
        }

        @Test
        void a_commit_of_the_maximum_number_of_events_is_stored_and_one_more_is_refused() {
            String id = evento.create().event(new Account.Opened("Bulk", 0)).commit();
            commitDeposits(id, Limits.COMMIT_MAX_EVENTS, 1);
            List<StoredEvent> before = storedEvents(executor);
            assertThat(before).hasSize(1 + Limits.COMMIT_MAX_EVENTS);

            assertThatThrownBy(() -> commitDeposits(id, Limits.COMMIT_MAX_EVENTS + 1, 1))
                    .isInstanceOf(IllegalArgumentException.class);

            assertThat(storedEvents(executor)).isEqualTo(before);
            assertThat(evento.load(ACCOUNT, id)).hasValueSatisfying(l -> {
                assertThat(l.version()).isEqualTo(1 + Limits.COMMIT_MAX_EVENTS);
                assertThat(l.state().balance()).isEqualTo(Limits.COMMIT_MAX_EVENTS);
            });
        }

        @Test
        void nul_characters_in_ids_keys_and_names_are_refused_and_the_store_is_unchanged() {
            evento.create().event(new Account.Opened("Existing", 1)).commit();
            List<StoredEvent> before = storedEvents(executor);

            Map<String, ThrowingCallable> refused = new LinkedHashMap<>();
            refused.put(
                    "aggregator id",
                    () -> evento.aggregator("a\0b")
                            .event(new Account.Opened("x", 1))
                            .commit());
            refused.put(
                    "routing key",
                    () -> evento.create()
                            .routingKey("eu\0")
                            .event(new Account.Opened("x", 1))
                            .commit());
            refused.put("stored event id", () -> stored(ACCOUNT_TYPE, "\0", 1, "Opened", Optional.empty(), json("{}")));
            refused.put(
                    "stored event name", () -> stored(ACCOUNT_TYPE, "a", 1, "Op\0ened", Optional.empty(), json("{}")));
            refused.put("id filter", () -> EventFilter.aggregate(Account.class, "a\0"));
            refused.put("routing filter", () -> RoutingFilter.key("\0"));
            refused.put("readAggregate", () -> executor.readAggregate(ACCOUNT_TYPE, "a\0", 0, 10));
            refused.put("lastEvent", () -> executor.lastEvent("tck/\0", "a"));
            refused.put("lease key", () -> executor.acquireLease("sub\0", "w1", LONG_TTL));
            refused.put("lease worker", () -> executor.acquireLease("sub", "w\0", LONG_TTL));
            refused.put("subscriber cursor key", () -> executor.subscriberCursor("\0sub"));
            refused.put("snapshot id", () -> executor.snapshot("p", ACCOUNT_TYPE, "a\0"));
            refused.put("empty aggregator id", () -> evento.aggregator(""));
            refused.put("empty lease key", () -> executor.acquireLease("", "w1", LONG_TTL));
            assertAllRefused(refused);

            assertThat(storedEvents(executor)).isEqualTo(before);
            assertThat(executor.acquireLease("sub", "w1", LONG_TTL)).isPresent();
        }

        @Test
        void malformed_writes_through_the_spi_are_refused_and_the_store_is_unchanged() {
            evento.create().event(new Account.Opened("Existing", 1)).commit();
            List<StoredEvent> before = storedEvents(executor);

            Map<String, ThrowingCallable> refused = new LinkedHashMap<>();
            refused.put("no events", () -> executor.write(List.of()));
            refused.put(
                    "a gap in versions",
                    () -> executor.write(List.of(
                            stored(ACCOUNT_TYPE, "gap", 1, "Deposited", Optional.empty(), json("{}")),
                            stored(ACCOUNT_TYPE, "gap", 3, "Deposited", Optional.empty(), json("{}")))));
            refused.put(
                    "two aggregates",
                    () -> executor.write(List.of(
                            stored(ACCOUNT_TYPE, "one", 1, "Deposited", Optional.empty(), json("{}")),
                            stored(ACCOUNT_TYPE, "two", 2, "Deposited", Optional.empty(), json("{}")))));
            refused.put(
                    "two types",
                    () -> executor.write(List.of(
                            stored(ACCOUNT_TYPE, "one", 1, "Deposited", Optional.empty(), json("{}")),
                            stored(OWNER_TYPE, "one", 2, "Created", Optional.empty(), json("{}")))));
            refused.put(
                    "version zero", () -> stored(ACCOUNT_TYPE, "zero", 0, "Deposited", Optional.empty(), json("{}")));
            refused.put("zero ttl", () -> executor.acquireLease("sub", "w1", Duration.ZERO));
            refused.put("negative ttl", () -> executor.acquireLease("sub", "w1", Duration.ofMillis(-1)));
            assertAllRefused(refused);

            assertThat(storedEvents(executor)).isEqualTo(before);
            assertThat(executor.lastEvent(ACCOUNT_TYPE, "gap")).isEmpty();
            assertThat(executor.lastEvent(ACCOUNT_TYPE, "one")).isEmpty();
            assertThat(executor.acquireLease("sub", "w2", LONG_TTL)).isPresent();
        }

        private void assertAllRefused(Map<String, ThrowingCallable> refused) {
            refused.forEach(
                    (what, call) -> assertThatThrownBy(call).as(what).isInstanceOf(IllegalArgumentException.class));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Stored data is data
    // ---------------------------------------------------------------------------------------------

    /** SQL meta-characters and unicode are stored and matched as plain data, never interpreted. */
    @Nested
    public class NastyStrings {
        /** Creates the suite. */
        public NastyStrings() {}

        private static final List<String> NASTY = List.of(
                "'; DROP TABLE event; --",
                "Robert'); DELETE FROM events; --",
                "' OR '1'='1",
                "\"",
                "\"quoted\"",
                "%",
                "a%",
                "_",
                "a_",
                "\\",
                "a\\%",
                "*",
                "?",
                "$1",
                "line\nbreak\ttab",
                "😀 ünïcødé 漢字 עברית",
                "\uD83D\uDC4D\uD83C\uDFFD",
                "null");

        @Test
        void sql_meta_characters_and_unicode_round_trip_as_ids_routing_keys_metadata_and_payloads() {
            evento.aggregator("a")
                    .routingKey("a")
                    .event(new Account.Opened("a", 0))
                    .commit();
            evento.aggregator("ab")
                    .routingKey("ab")
                    .event(new Account.Opened("ab", 0))
                    .commit();
            evento.aggregator("a\\b").event(new Account.Opened("a\\b", 0)).commit();
            for (String s : NASTY) {
                evento.aggregator(s)
                        .originalVersion(0)
                        .routingKey(s)
                        .metadata(Metadata.create().withId(s).withRequestedBy(s).with("note", s))
                        .event(new Account.Opened(s, 1))
                        .event(new Account.Renamed(s + s))
                        .commit();
            }
            List<StoredEvent> all = storedEvents(executor);
            assertThat(all).hasSize(3 + 2 * NASTY.size());

            for (String s : NASTY) {
                assertThat(evento.load(ACCOUNT, s)).as(s).hasValueSatisfying(l -> {
                    assertThat(l.id()).isEqualTo(s);
                    assertThat(l.state()).isEqualTo(new AccountView(s + s, 1, 0));
                    assertThat(l.routingKey()).contains(s);
                    assertThat(l.version()).isEqualTo(2);
                });
                List<Event<?>> byId = events(List.of(EventFilter.aggregate(Account.class, s)), RoutingFilter.ALL);
                assertThat(byId).as("events of %s", s).hasSize(2).allSatisfy(e -> {
                    assertThat(e.aggregatorId()).isEqualTo(s);
                    assertThat(e.routingKey()).contains(s);
                    assertThat(e.metadata().id()).isEqualTo(s);
                    assertThat(e.metadata().requestedBy()).contains(s);
                    assertThat(e.metadata().get("note", String.class)).contains(s);
                });
                assertThat(byId.getFirst().data()).isEqualTo(new Account.Opened(s, 1));
                assertThat(ids(events(List.of(), RoutingFilter.key(s))))
                        .as("routing key %s", s)
                        .containsExactlyElementsOf(ids(byId));
                assertThat(executor.lastEvent(ACCOUNT_TYPE, s))
                        .hasValueSatisfying(e -> assertThat(e.version()).isEqualTo(2));
            }
            assertThat(events(List.of(EventFilter.aggregate(Account.class, "a")), RoutingFilter.ALL))
                    .hasSize(1);
            assertThat(events(List.of(), RoutingFilter.key("a"))).hasSize(1);
            assertThat(events(List.of(), RoutingFilter.NONE))
                    .singleElement()
                    .satisfies(e -> assertThat(e.aggregatorId()).isEqualTo("a\\b"));
            assertThat(storedEvents(executor)).isEqualTo(all);
        }

        @Test
        void sql_meta_characters_and_unicode_round_trip_as_lease_and_snapshot_keys() {
            seedDeposits(1);
            String cursor = executor.read(ReadQuery.all(PageRequest.forward(1)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();
            executor.saveSnapshot(snapshot("plain", ACCOUNT_TYPE, "a", 1, new byte[] {0}));
            for (String s : NASTY) {
                Lease lease = executor.acquireLease(s, s, LONG_TTL).orElseThrow();
                assertThat(lease.key()).isEqualTo(s);
                assertThat(lease.workerId()).isEqualTo(s);
                executor.acknowledge(lease, cursor);
                executor.saveSnapshot(snapshot(s, ACCOUNT_TYPE, s, 1, s.getBytes(StandardCharsets.UTF_8)));
            }
            for (String s : NASTY) {
                assertThat(executor.subscriberCursor(s)).as(s).contains(cursor);
                assertThat(executor.acquireLease(s, "someone else", LONG_TTL))
                        .as(s)
                        .isEmpty();
                assertThat(executor.snapshot(s, ACCOUNT_TYPE, s))
                        .as(s)
                        .hasValueSatisfying(
                                snap -> assertThat(snap.data()).isEqualTo(s.getBytes(StandardCharsets.UTF_8)));
            }
            assertThat(executor.subscriberCursor("a")).isEmpty();
            assertThat(executor.acquireLease("a", "someone else", LONG_TTL)).isPresent();
            assertThat(executor.snapshot("plain", ACCOUNT_TYPE, "a"))
                    .hasValueSatisfying(snap -> assertThat(snap.data()).containsExactly(0));
            assertThat(executor.snapshot("a%", ACCOUNT_TYPE, "a")).isEmpty();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Decoding
    // ---------------------------------------------------------------------------------------------

    /** Stored events that do not decode fail loudly, naming the event, and stay stored. */
    @Nested
    public class Decoding {
        /** Creates the suite. */
        public Decoding() {}

        @Test
        void an_event_stored_under_an_unknown_name_fails_to_decode_naming_it() {
            String good = evento.create().event(new Account.Opened("Good", 1)).commit();
            StoredEvent ghost = stored(ACCOUNT_TYPE, "ghost", 1, "Vanished", Optional.empty(), json("{}"));
            executor.write(List.of(ghost));
            List<StoredEvent> before = storedEvents(executor);

            assertThatExceptionOfType(EventDecodingException.class)
                    .isThrownBy(() -> evento.read(ReadQuery.all(PageRequest.forward(10))))
                    .satisfies(e -> {
                        assertThat(e.eventId()).isEqualTo(ghost.id());
                        assertThat(e.eventName()).isEqualTo("Vanished");
                        assertThat(e.aggregatorType()).isEqualTo(ACCOUNT_TYPE);
                        assertThat(e.getMessage()).contains(ghost.id()).contains("Vanished");
                    });
            assertThat(storedEvents(executor)).isEqualTo(before).contains(ghost);
            assertThat(evento.read(ReadQuery.of(PageRequest.forward(10), EventFilter.aggregate(Account.class, good)))
                            .nodes())
                    .hasSize(1);
        }

        @Test
        void an_event_of_an_unknown_aggregate_type_fails_to_decode_naming_it() {
            StoredEvent alien = stored("tck/Alien", "x", 1, "Landed", Optional.empty(), json("{}"));
            executor.write(List.of(alien));

            assertThatExceptionOfType(EventDecodingException.class)
                    .isThrownBy(() -> evento.read(ReadQuery.all(PageRequest.forward(10))))
                    .satisfies(e -> {
                        assertThat(e.eventId()).isEqualTo(alien.id());
                        assertThat(e.eventName()).isEqualTo("Landed");
                        assertThat(e.aggregatorType()).isEqualTo("tck/Alien");
                    });
            assertThat(storedEvents(executor)).containsExactly(alien);
        }

        @Test
        void a_payload_that_does_not_decode_fails_naming_the_event() {
            evento.create().event(new Account.Opened("Good", 1)).commit();
            StoredEvent broken = stored(ACCOUNT_TYPE, "broken", 1, "Deposited", Optional.empty(), json("not json"));
            executor.write(List.of(broken));
            List<StoredEvent> before = storedEvents(executor);

            assertThatExceptionOfType(EventDecodingException.class)
                    .isThrownBy(() -> evento.read(ReadQuery.all(PageRequest.forward(10))))
                    .satisfies(e -> {
                        assertThat(e.eventId()).isEqualTo(broken.id());
                        assertThat(e.eventName()).isEqualTo("Deposited");
                        assertThat(e.getMessage()).contains(broken.id()).contains("Deposited");
                    });
            assertThatExceptionOfType(EventDecodingException.class)
                    .isThrownBy(() -> evento.load(ACCOUNT, "broken"))
                    .satisfies(e -> assertThat(e.eventId()).isEqualTo(broken.id()));
            assertThat(storedEvents(executor)).isEqualTo(before);
            assertThat(executor.readAggregate(ACCOUNT_TYPE, "broken", 0, 10))
                    .singleElement()
                    .satisfies(e -> assertThat(e.data()).isEqualTo(json("not json")));
        }

        @Test
        void metadata_that_does_not_decode_fails_naming_the_event() {
            StoredEvent broken = new StoredEvent(
                    newEventId(),
                    ACCOUNT_TYPE,
                    "bad-meta",
                    1,
                    "Deposited",
                    Optional.empty(),
                    json("{\"amount\":1}"),
                    json("not json either"),
                    TIMESTAMP_MICROS);
            executor.write(List.of(broken));

            assertThatExceptionOfType(EventDecodingException.class)
                    .isThrownBy(() -> evento.read(ReadQuery.all(PageRequest.forward(10))))
                    .satisfies(e -> {
                        assertThat(e.eventId()).isEqualTo(broken.id());
                        assertThat(e.eventName()).isEqualTo("Deposited");
                    });
            assertThat(storedEvents(executor)).containsExactly(broken);
        }

        @Test
        void loading_skips_an_unknown_event_name_unless_the_safety_check_is_on() {
            executor.write(List.of(
                    stored(
                            ACCOUNT_TYPE,
                            "legacy",
                            1,
                            "Opened",
                            Optional.empty(),
                            json("{\"owner\":\"Old\",\"balance\":3}")),
                    stored(ACCOUNT_TYPE, "legacy", 2, "Retired", Optional.empty(), json("{}"))));

            assertThat(evento.load(ACCOUNT, "legacy")).hasValueSatisfying(l -> {
                assertThat(l.state()).isEqualTo(new AccountView("Old", 3, 0));
                assertThat(l.version()).isEqualTo(2);
            });
            Projection<AccountView> strict = Projection.builder(
                            "tck-strict", Account.class, () -> new AccountView("", 0, 0))
                    .on(Account.class, (s, e) -> s)
                    .safetyCheck()
                    .build();
            assertThatExceptionOfType(EventDecodingException.class)
                    .isThrownBy(() -> evento.load(strict, "legacy"))
                    .satisfies(e -> assertThat(e.eventName()).isEqualTo("Retired"));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Leases and subscriber cursors
    // ---------------------------------------------------------------------------------------------

    /** Subscriptions: routing, live processing, checkpoints, leases, failures, operations. */
    @Nested
    public class Subscriptions extends SubscriptionScenarios {
        /** Creates the suite. */
        public Subscriptions() {}

        @Override
        protected Executor store() {
            return executor;
        }

        @Override
        protected Evento evento() {
            return evento;
        }

        @Override
        protected HeldWrite hold(Executor store, List<StoredEvent> events) {
            return holdWrite(store, events);
        }
    }

    /** Snapshots and time travel. */
    @Nested
    public class History extends HistoryScenarios {
        /** Creates the suite. */
        public History() {}

        @Override
        protected Executor store() {
            return executor;
        }

        @Override
        protected Evento evento() {
            return evento;
        }
    }

    /** Schema evolution: aliases and upcasters over events an older application wrote. */
    @Nested
    public class Evolution extends EvolutionScenarios {
        /** Creates the suite. */
        public Evolution() {}

        @Override
        protected Executor store() {
            return executor;
        }
    }

    /** Subscriber state, reset, pause, parked events and commit notifications. */
    @Nested
    public class SubscriberStore extends SubscriberStoreScenarios {
        /** Creates the suite. */
        public SubscriberStore() {}

        @Override
        protected Executor store() {
            return executor;
        }

        @Override
        protected Evento evento() {
            return evento;
        }
    }

    /** One worker per subscription key: leases with expiry, fencing tokens and checkpoints. */
    @Nested
    public class Leases {
        /** Creates the suite. */
        public Leases() {}

        private List<String> cursors;

        @BeforeEach
        void seedEventsToAcknowledge() {
            seedDeposits(3);
            cursors = executor.read(ReadQuery.all(PageRequest.forward(3))).edges().stream()
                    .map(Edge::cursor)
                    .toList();
        }

        @Test
        void a_second_worker_cannot_take_an_unexpired_lease() {
            Lease lease = executor.acquireLease("sub", "w1", LONG_TTL).orElseThrow();

            assertThat(lease.key()).isEqualTo("sub");
            assertThat(lease.workerId()).isEqualTo("w1");
            assertThat(lease.expiresAt()).isAfter(Instant.now());
            assertThat(executor.acquireLease("sub", "w2", LONG_TTL)).isEmpty();
            assertThat(executor.acquireLease("sub", "w2", TINY_TTL)).isEmpty();
            executor.acknowledge(lease, cursors.get(0));
            assertThat(executor.subscriberCursor("sub")).contains(cursors.get(0));
        }

        @Test
        void the_same_worker_reacquiring_keeps_its_token_and_extends_the_lease() {
            Lease first =
                    executor.acquireLease("sub", "w1", Duration.ofMinutes(1)).orElseThrow();
            Lease again =
                    executor.acquireLease("sub", "w1", Duration.ofMinutes(10)).orElseThrow();

            assertThat(again.token()).isEqualTo(first.token());
            assertThat(again.expiresAt()).isAfter(first.expiresAt());
            assertThat(executor.acquireLease("sub", "w2", LONG_TTL)).isEmpty();
            executor.acknowledge(again, cursors.get(1));
            assertThat(executor.subscriberCursor("sub")).contains(cursors.get(1));
        }

        @Test
        void leases_of_different_keys_are_independent() {
            Lease a = executor.acquireLease("sub-a", "w1", LONG_TTL).orElseThrow();
            Lease b = executor.acquireLease("sub-b", "w2", LONG_TTL).orElseThrow();

            executor.acknowledge(a, cursors.get(0));
            executor.acknowledge(b, cursors.get(2));

            assertThat(executor.subscriberCursor("sub-a")).contains(cursors.get(0));
            assertThat(executor.subscriberCursor("sub-b")).contains(cursors.get(2));
            assertThat(executor.subscriberCursor("sub-c")).isEmpty();
            assertThat(executor.acquireLease("sub-a", "w2", LONG_TTL)).isEmpty();
            assertThat(executor.acquireLease("sub-b", "w1", LONG_TTL)).isEmpty();
        }

        @Test
        void an_expired_lease_is_taken_over_with_a_higher_token_and_the_old_worker_is_fenced_off() {
            Lease old = executor.acquireLease("sub", "w1", TINY_TTL).orElseThrow();

            Lease taken = awaitLease("sub", "w2");

            assertThat(taken.token()).isGreaterThan(old.token());
            executor.acknowledge(taken, cursors.get(1));
            assertThatThrownBy(() -> executor.acknowledge(old, cursors.get(2)))
                    .isInstanceOf(LeaseLostException.class)
                    .hasMessageContaining("w1")
                    .hasMessageContaining("sub");
            assertThat(executor.subscriberCursor("sub")).contains(cursors.get(1));
            assertThat(executor.acquireLease("sub", "w1", LONG_TTL)).isEmpty();
            executor.acknowledge(taken, cursors.get(2));
            assertThat(executor.subscriberCursor("sub")).contains(cursors.get(2));
        }

        @Test
        void an_expired_lease_cannot_acknowledge_even_if_nobody_took_it_over() {
            Lease lease = executor.acquireLease("sub", "w1", TINY_TTL).orElseThrow();
            await().atMost(PATIENCE)
                    .pollInterval(Duration.ofMillis(5))
                    .until(() -> Instant.now().isAfter(lease.expiresAt().plusMillis(5)));

            assertThatThrownBy(() -> executor.acknowledge(lease, cursors.get(0)))
                    .isInstanceOf(LeaseLostException.class);
            assertThat(executor.subscriberCursor("sub")).isEmpty();
        }

        @Test
        void the_checkpoint_survives_a_change_of_worker() {
            Lease first = executor.acquireLease("sub", "w1", LONG_TTL).orElseThrow();
            executor.acknowledge(first, cursors.get(1));
            executor.releaseLease(first);

            Lease second = executor.acquireLease("sub", "w2", LONG_TTL).orElseThrow();

            assertThat(executor.subscriberCursor("sub")).contains(cursors.get(1));
            Page<StoredEvent> rest = executor.read(ReadQuery.all(
                    PageRequest.forward(10, executor.subscriberCursor("sub").orElseThrow())));
            assertThat(rest.edges()).hasSize(1);
            executor.acknowledge(second, rest.pageInfo().endCursor().orElseThrow());
            assertThat(executor.read(ReadQuery.all(PageRequest.forward(
                                    10, executor.subscriberCursor("sub").orElseThrow())))
                            .edges())
                    .isEmpty();
        }

        @Test
        void release_lets_another_worker_acquire_at_once_and_fences_the_releaser() {
            Lease first = executor.acquireLease("sub", "w1", LONG_TTL).orElseThrow();
            executor.acknowledge(first, cursors.get(0));

            executor.releaseLease(first);
            Lease second = executor.acquireLease("sub", "w2", LONG_TTL).orElseThrow();

            assertThat(second.token()).isGreaterThan(first.token());
            assertThatThrownBy(() -> executor.acknowledge(first, cursors.get(1)))
                    .isInstanceOf(LeaseLostException.class);
            assertThat(executor.subscriberCursor("sub")).contains(cursors.get(0));
        }

        @Test
        void releasing_a_lost_lease_does_not_disturb_the_new_holder() {
            Lease old = executor.acquireLease("sub", "w1", TINY_TTL).orElseThrow();
            Lease taken = awaitLease("sub", "w2");

            executor.releaseLease(old);

            assertThat(executor.acquireLease("sub", "w3", LONG_TTL)).isEmpty();
            executor.acknowledge(taken, cursors.get(2));
            assertThat(executor.subscriberCursor("sub")).contains(cursors.get(2));
        }

        @Test
        void tokens_grow_every_time_the_lease_changes_hands() {
            List<Long> tokens = new ArrayList<>();
            for (String worker : List.of("w1", "w2", "w1", "w3")) {
                Lease lease = executor.acquireLease("sub", worker, LONG_TTL).orElseThrow();
                tokens.add(lease.token());
                executor.releaseLease(lease);
            }

            assertThat(tokens).isSorted().doesNotHaveDuplicates();
        }

        @Test
        void a_forged_or_foreign_lease_cannot_acknowledge() {
            Lease real = executor.acquireLease("sub", "w1", LONG_TTL).orElseThrow();
            executor.acknowledge(real, cursors.get(0));
            List<Lease> forged = List.of(
                    new Lease("sub", "w1", real.token() + 1, real.expiresAt()),
                    new Lease("sub", "w1", real.token() - 1, real.expiresAt()),
                    new Lease("sub", "w2", real.token(), real.expiresAt()),
                    new Lease("other", "w1", real.token(), real.expiresAt()));

            for (Lease lease : forged) {
                assertThatThrownBy(() -> executor.acknowledge(lease, cursors.get(2)))
                        .as("%s", lease)
                        .isInstanceOf(LeaseLostException.class);
            }
            assertThat(executor.subscriberCursor("sub")).contains(cursors.get(0));
            assertThat(executor.subscriberCursor("other")).isEmpty();
        }

        @Test
        void a_checkpoint_is_stored_verbatim_and_a_foreign_one_is_refused_when_read_with() {
            Lease lease = executor.acquireLease("sub", "w1", LONG_TTL).orElseThrow();
            executor.acknowledge(lease, cursors.get(1));
            assertThat(executor.subscriberCursor("sub")).contains(cursors.get(1));
            Executor other = openStore();
            eventoOn(other).create().event(new Account.Opened("elsewhere", 1)).commit();
            String foreign = other.read(ReadQuery.all(PageRequest.forward(1)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();

            executor.acknowledge(lease, foreign);
            String stored = executor.subscriberCursor("sub").orElseThrow();
            assertThat(stored).isEqualTo(foreign);
            assertThatThrownBy(() -> executor.read(ReadQuery.all(PageRequest.forward(10, stored))))
                    .isInstanceOf(InvalidCursorException.class);
        }

        @Test
        void an_empty_oversize_or_nul_checkpoint_is_refused_and_the_checkpoint_is_unchanged() {
            Lease lease = executor.acquireLease("sub", "w1", LONG_TTL).orElseThrow();
            executor.acknowledge(lease, cursors.get(1));
            for (String bad : List.of("", "x".repeat(Limits.CURSOR_MAX_LENGTH + 1), "a\0b")) {
                assertThatThrownBy(() -> executor.acknowledge(lease, bad))
                        .as("cursor of length %d", bad.length())
                        .isInstanceOf(IllegalArgumentException.class);
            }
            assertThat(executor.subscriberCursor("sub")).contains(cursors.get(1));
            String longest = "c".repeat(Limits.CURSOR_MAX_LENGTH);
            executor.acknowledge(lease, longest);
            assertThat(executor.subscriberCursor("sub")).contains(longest);
        }

        private Lease awaitLease(String key, String worker) {
            AtomicReference<Lease> taken = new AtomicReference<>();
            await().atMost(PATIENCE).pollInterval(Duration.ofMillis(5)).until(() -> {
                executor.acquireLease(key, worker, LONG_TTL).ifPresent(taken::set);
                return taken.get() != null;
            });
            return taken.get();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Global order
    // ---------------------------------------------------------------------------------------------

    /**
     * The global order is skip-free: a reader that tails the log with the public read API sees every
     * committed event exactly once, in one order, even when transactions commit out of order.
     */
    @Nested
    public class GlobalOrder {

        /** Tests the skip-free order. */
        public GlobalOrder() {}

        @Test
        void a_tailing_reader_sees_every_committed_event_once_while_transactions_commit_late_or_roll_back()
                throws Exception {
            int writers = 8;
            int commitsEach = 30;
            int heldWrites = 6;

            // Open the held writes first: on a store with concurrent writers their transactions are
            // older than every commit below, the worst case for a reader that trusts positions.
            List<HeldWrite> held = new ArrayList<>();
            List<List<String>> heldIds = new ArrayList<>();
            for (int h = 0; h < heldWrites; h++) {
                List<StoredEvent> events = List.of(
                        stored(
                                "tck/Account",
                                "held-" + h,
                                1,
                                "Opened",
                                Optional.empty(),
                                json("{\"owner\":\"held\",\"balance\":0}")),
                        stored(
                                "tck/Account",
                                "held-" + h,
                                2,
                                "Deposited",
                                Optional.empty(),
                                json("{\"amount\":" + h + "}")));
                heldIds.add(events.stream().map(StoredEvent::id).toList());
                held.add(holdWrite(executor, events));
            }
            Set<String> rolledBack = ConcurrentHashMap.newKeySet();
            Set<String> heldCommitted = ConcurrentHashMap.newKeySet();

            AtomicBoolean writersDone = new AtomicBoolean();
            AtomicReference<Set<String>> expected = new AtomicReference<>();
            List<String> seen = new CopyOnWriteArrayList<>();
            CountDownLatch readerStarted = new CountDownLatch(1);
            Thread reader = Thread.ofPlatform().name("tck-tailing-reader").unstarted(() -> {
                readerStarted.countDown();
                Optional<String> cursor = Optional.empty();
                long deadline = Long.MAX_VALUE;
                while (true) {
                    Page<StoredEvent> page = executor.read(new ReadQuery(
                            List.of(), RoutingFilter.ALL, new PageRequest(Direction.FORWARD, 13, cursor)));
                    page.nodes().forEach(e -> seen.add(e.id()));
                    if (!page.isEmpty()) {
                        cursor = page.pageInfo().endCursor();
                        continue;
                    }
                    Set<String> all = expected.get();
                    if (all != null) {
                        if (seen.size() >= all.size()) {
                            return;
                        }
                        // Once every writer is done, the reader must catch up: it may not wait forever.
                        if (deadline == Long.MAX_VALUE) {
                            deadline = System.nanoTime() + PATIENCE.toNanos();
                        } else if (System.nanoTime() > deadline) {
                            throw new AssertionError("the reader saw " + seen.size() + " of " + all.size()
                                    + " committed events and then nothing more, although every writer had finished");
                        }
                    }
                    Thread.onSpinWait();
                }
            });

            Set<String> committed = ConcurrentHashMap.newKeySet();
            runConcurrently(
                    writers,
                    w -> {
                        assertThat(readerStarted.await(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                                .isTrue();
                        String id = evento.create()
                                .event(new Account.Opened("race-" + w, 0))
                                .commit();
                        for (int i = 1; i < commitsEach; i++) {
                            evento.aggregator(id)
                                    .event(new Account.Deposited(i))
                                    .commit();
                            if (i == commitsEach / 2 && w < heldWrites) {
                                // Resolve a held write in the middle of everyone else's commits.
                                if (w % 3 == 2) {
                                    held.get(w).rollback();
                                    rolledBack.addAll(heldIds.get(w));
                                } else {
                                    held.get(w).commit();
                                    heldCommitted.addAll(heldIds.get(w));
                                }
                            }
                        }
                        evento.executor()
                                .readAggregate("tck/Account", id, 0, Limits.PAGE_MAX_SIZE)
                                .forEach(e -> committed.add(e.id()));
                    },
                    reader);
            // runConcurrently waits for the writers only; now tell the reader what to expect.
            writersDone.set(true);
            Set<String> all = new HashSet<>(committed);
            all.addAll(heldCommitted);
            expected.set(all);
            assertThat(reader.join(PATIENCE.multipliedBy(2)))
                    .as("the reader finished")
                    .isTrue();

            assertThat(seen).as("no event is seen twice").doesNotHaveDuplicates();
            assertThat(seen).as("nothing rolled back is ever seen").doesNotContainAnyElementsOf(rolledBack);
            assertThat(new HashSet<>(seen)).as("every committed event is seen").isEqualTo(all);
            assertThat(seen)
                    .as("the reader's order is the store's one global order")
                    .containsExactlyElementsOf(
                            storedEvents(executor).stream().map(StoredEvent::id).toList());
            assertThat(all).hasSize(writers * commitsEach + 2 * (heldWrites - heldWrites / 3));
        }

        @Test
        void a_payload_the_codec_rejects_is_refused_and_nothing_of_the_commit_is_written() {
            Codec json = Codec.json();
            Codec picky = new Codec() {
                @Override
                public byte[] encode(Object event) {
                    if (event instanceof Account.Withdrawn w && w.amount() < 0) {
                        throw new IllegalArgumentException("negative withdrawals cannot be encoded");
                    }
                    return json.encode(event);
                }

                @Override
                public <T> T decode(byte[] data, Class<T> type) {
                    return json.decode(data, type);
                }
            };
            Evento strict = Evento.builder(executor)
                    .register(Account.class, Owner.class)
                    .codec(picky)
                    .build();
            String id = strict.create().event(new Account.Opened("codec", 10)).commit();
            List<StoredEvent> before = storedEvents(executor);

            assertThatThrownBy(() -> strict.aggregator(id)
                            .originalVersion(1)
                            .event(new Account.Deposited(5))
                            .event(new Account.Withdrawn(-1))
                            .commit())
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("negative withdrawals cannot be encoded");

            assertThat(storedEvents(executor)).isEqualTo(before);
            assertThat(strict.load(ACCOUNT, id))
                    .get()
                    .extracting(Loaded::version)
                    .isEqualTo(1);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Same outcomes as the reference
    // ---------------------------------------------------------------------------------------------

    /**
     * Random sequences of SPI calls have the same outcome on the store under test as on the
     * in-memory reference executor: the same events in every page, the same page flags, conflicts,
     * leases, tokens and snapshots. Cursors differ between stores (they carry the store id), so each
     * store pages with its own.
     */
    @Nested
    public class SameOutcomesAsTheReference {
        private static final List<String> TYPES = List.of("tck/Account", "tck/Owner");
        private static final List<String> IDS = List.of("a", "b", "c", "d", "e");
        private static final List<String> NAMES = List.of("Opened", "Deposited", "Closed");
        private static final List<Optional<String>> ROUTING_KEYS =
                List.of(Optional.empty(), Optional.of("eu"), Optional.of("us"));
        private static final List<String> KEYS = List.of("sub-1", "sub-2");
        private static final List<String> WORKERS = List.of("w1", "w2", "w3");

        private java.util.Random random;
        private InMemoryExecutor reference;
        private final List<Lease[]> leases = new ArrayList<>();

        /** Compares the store with the reference. */
        public SameOutcomesAsTheReference() {}

        @ParameterizedTest(name = "seed {0}")
        @ValueSource(longs = {1, 2, 3, 4})
        void every_operation_has_the_outcome_it_has_on_the_reference_executor(long seed) {
            random = new java.util.Random(seed);
            reference = InMemoryExecutor.create();
            try {
                int writes = 0;
                for (int step = 0; step < 250; step++) {
                    int op = random.nextInt(100);
                    if (op < 45) {
                        writes += write() ? 1 : 0;
                    } else if (op < 70) {
                        readPages();
                    } else if (op < 80) {
                        readAggregate();
                    } else if (op < 92) {
                        lease();
                    } else {
                        snapshot();
                    }
                }
                assertThat(writes).as("successful writes").isGreaterThan(20);
                assertThat(storedEvents(executor)).isEqualTo(storedEvents(reference));
            } finally {
                reference.close();
            }
        }

        private boolean write() {
            String type = pick(TYPES);
            String id = pick(IDS);
            int current =
                    reference.lastEvent(type, id).map(StoredEvent::version).orElse(0);
            int expected = random.nextInt(5) == 0 ? Math.max(0, current + random.nextInt(3) - 1) : current;
            int count = 1 + random.nextInt(random.nextInt(10) == 0 ? 150 : 4);
            Optional<String> routingKey = pick(ROUTING_KEYS);
            List<StoredEvent> events = new ArrayList<>();
            for (int i = 1; i <= count; i++) {
                byte[] data = new byte[random.nextInt(20)];
                random.nextBytes(data);
                events.add(new StoredEvent(
                        newEventId(),
                        type,
                        id,
                        expected + i,
                        pick(NAMES),
                        routingKey,
                        data,
                        json("{\"n\":" + i + "}"),
                        TIMESTAMP_MICROS + random.nextInt(1_000_000) * 1_000L));
            }
            String expectedOutcome = outcome(reference, e -> e.write(events));
            assertThat(outcome(executor, e -> e.write(events)))
                    .as("write of %d events to %s/%s at %d", count, type, id, expected)
                    .isEqualTo(expectedOutcome);
            return expectedOutcome.equals("ok");
        }

        private void readPages() {
            List<EventFilter> filters = new ArrayList<>();
            for (int i = random.nextInt(4); i > 0; i--) {
                filters.add(
                        switch (random.nextInt(3)) {
                            case 0 -> new EventFilter.ByType(pick(TYPES));
                            case 1 -> new EventFilter.ById(pick(TYPES), pick(IDS));
                            default -> new EventFilter.ByName(pick(TYPES), pick(NAMES));
                        });
            }
            RoutingFilter routing = switch (random.nextInt(4)) {
                case 0 -> RoutingFilter.NONE;
                case 1 -> RoutingFilter.key(pick(ROUTING_KEYS).orElse("eu"));
                default -> RoutingFilter.ALL;
            };
            Direction direction = random.nextBoolean() ? Direction.FORWARD : Direction.BACKWARD;
            int size = 1 + random.nextInt(random.nextBoolean() ? 5 : 60);
            Optional<String> referenceCursor = Optional.empty();
            Optional<String> cursor = Optional.empty();
            for (int pageNumber = 0; pageNumber < 6; pageNumber++) {
                Page<StoredEvent> expected = reference.read(
                        new ReadQuery(filters, routing, new PageRequest(direction, size, referenceCursor)));
                Page<StoredEvent> actual =
                        executor.read(new ReadQuery(filters, routing, new PageRequest(direction, size, cursor)));
                String description =
                        "page " + pageNumber + " of " + direction + " " + size + " " + filters + " " + routing;
                assertThat(actual.nodes()).as(description).isEqualTo(expected.nodes());
                assertThat(actual.pageInfo().hasNextPage())
                        .as(description + ": hasNextPage")
                        .isEqualTo(expected.pageInfo().hasNextPage());
                assertThat(actual.pageInfo().hasPreviousPage())
                        .as(description + ": hasPreviousPage")
                        .isEqualTo(expected.pageInfo().hasPreviousPage());
                if (expected.isEmpty()) {
                    return;
                }
                boolean forward = direction == Direction.FORWARD;
                referenceCursor = forward
                        ? expected.pageInfo().endCursor()
                        : expected.pageInfo().startCursor();
                cursor = forward
                        ? actual.pageInfo().endCursor()
                        : actual.pageInfo().startCursor();
            }
        }

        private void readAggregate() {
            String type = pick(TYPES);
            String id = pick(IDS);
            int after = random.nextInt(12) - 1;
            int limit = 1 + random.nextInt(8);
            assertThat(executor.readAggregate(type, id, after, limit))
                    .as("readAggregate %s/%s after %d limit %d", type, id, after, limit)
                    .isEqualTo(reference.readAggregate(type, id, after, limit));
            assertThat(executor.lastEvent(type, id)).isEqualTo(reference.lastEvent(type, id));
        }

        private void lease() {
            String key = pick(KEYS);
            switch (random.nextInt(4)) {
                case 0, 1 -> {
                    // Long leases only: expiry is judged by each store's own clock.
                    String worker = pick(WORKERS);
                    Optional<Lease> expected = reference.acquireLease(key, worker, LONG_TTL);
                    Optional<Lease> actual = executor.acquireLease(key, worker, LONG_TTL);
                    assertThat(actual.map(l -> l.workerId() + "#" + l.token()))
                            .as("acquire %s by %s", key, worker)
                            .isEqualTo(expected.map(l -> l.workerId() + "#" + l.token()));
                    expected.ifPresent(l -> leases.add(new Lease[] {l, actual.orElseThrow()}));
                }
                case 2 -> {
                    if (leases.isEmpty()) {
                        return;
                    }
                    Lease[] pair = pick(leases);
                    String checkpoint = "checkpoint-" + random.nextInt(1_000);
                    String expected = outcome(reference, e -> e.acknowledge(pair[0], checkpoint));
                    assertThat(outcome(executor, e -> e.acknowledge(pair[1], checkpoint)))
                            .as("acknowledge %s", pair[1])
                            .isEqualTo(expected);
                    assertThat(executor.subscriberCursor(pair[1].key()))
                            .isEqualTo(reference.subscriberCursor(pair[0].key()));
                }
                default -> {
                    if (leases.isEmpty()) {
                        return;
                    }
                    Lease[] pair = pick(leases);
                    reference.releaseLease(pair[0]);
                    executor.releaseLease(pair[1]);
                }
            }
        }

        private void snapshot() {
            String projection = random.nextBoolean() ? "balance" : "owner";
            String type = pick(TYPES);
            String id = pick(IDS);
            if (random.nextBoolean()) {
                byte[] data = new byte[random.nextInt(30)];
                random.nextBytes(data);
                StoredSnapshot s = new StoredSnapshot(
                        projection,
                        type,
                        id,
                        "rev-" + random.nextInt(3),
                        1 + random.nextInt(50),
                        data,
                        TIMESTAMP_MICROS);
                reference.saveSnapshot(s);
                executor.saveSnapshot(s);
            }
            assertThat(executor.snapshot(projection, type, id)).isEqualTo(reference.snapshot(projection, type, id));
        }

        private static String outcome(Executor store, java.util.function.Consumer<Executor> call) {
            try {
                call.accept(store);
                return "ok";
            } catch (ConcurrencyException e) {
                return "conflict at " + e.aggregatorType() + "/" + e.aggregatorId() + " v" + e.expectedVersion();
            } catch (LeaseLostException e) {
                return "lease lost";
            }
        }

        private <T> T pick(List<T> values) {
            return values.get(random.nextInt(values.size()));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Snapshots
    // ---------------------------------------------------------------------------------------------

    /** Snapshots are keyed by projection, aggregate type and id; saving replaces. */
    @Nested
    public class Snapshots {
        /** Creates the suite. */
        public Snapshots() {}

        @Test
        void a_saved_snapshot_reads_back_intact() {
            byte[] data = new byte[256];
            for (int i = 0; i < data.length; i++) {
                data[i] = (byte) i;
            }
            StoredSnapshot snapshot =
                    new StoredSnapshot("balance", ACCOUNT_TYPE, "acc-1", "rev-7", 42, data, TIMESTAMP_MICROS);

            executor.saveSnapshot(snapshot);

            assertThat(executor.snapshot("balance", ACCOUNT_TYPE, "acc-1")).contains(snapshot);
        }

        @Test
        void a_missing_snapshot_reads_as_empty() {
            assertThat(executor.snapshot("balance", ACCOUNT_TYPE, "acc-1")).isEmpty();
        }

        @Test
        void saving_again_replaces_the_snapshot() {
            executor.saveSnapshot(snapshot("balance", ACCOUNT_TYPE, "acc-1", 1, new byte[] {1}));
            StoredSnapshot newer = new StoredSnapshot(
                    "balance", ACCOUNT_TYPE, "acc-1", "rev-2", 3, new byte[] {3, 3, 3}, TIMESTAMP_MICROS + 1_000);

            executor.saveSnapshot(newer);

            assertThat(executor.snapshot("balance", ACCOUNT_TYPE, "acc-1")).contains(newer);
            StoredSnapshot older = snapshot("balance", ACCOUNT_TYPE, "acc-1", 2, new byte[0]);
            executor.saveSnapshot(older);
            assertThat(executor.snapshot("balance", ACCOUNT_TYPE, "acc-1")).contains(older);
        }

        @Test
        void snapshots_are_keyed_by_projection_aggregate_type_and_id() {
            StoredSnapshot base = snapshot("balance", ACCOUNT_TYPE, "acc-1", 1, new byte[] {1});
            StoredSnapshot otherProjection = snapshot("history", ACCOUNT_TYPE, "acc-1", 2, new byte[] {2});
            StoredSnapshot otherType = snapshot("balance", OWNER_TYPE, "acc-1", 3, new byte[] {3});
            StoredSnapshot otherId = snapshot("balance", ACCOUNT_TYPE, "acc-2", 4, new byte[] {4});
            for (StoredSnapshot s : List.of(base, otherProjection, otherType, otherId)) {
                executor.saveSnapshot(s);
            }

            assertThat(executor.snapshot("balance", ACCOUNT_TYPE, "acc-1")).contains(base);
            assertThat(executor.snapshot("history", ACCOUNT_TYPE, "acc-1")).contains(otherProjection);
            assertThat(executor.snapshot("balance", OWNER_TYPE, "acc-1")).contains(otherType);
            assertThat(executor.snapshot("balance", ACCOUNT_TYPE, "acc-2")).contains(otherId);
            assertThat(executor.snapshot("history", ACCOUNT_TYPE, "acc-2")).isEmpty();
            assertThat(executor.snapshot("history", OWNER_TYPE, "acc-1")).isEmpty();
            assertThat(storedEvents(executor)).isEmpty();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Closed executor
    // ---------------------------------------------------------------------------------------------

    /** A closed executor refuses every call with a {@link StoreException}. */
    @Nested
    public class Closed {
        /** Creates the suite. */
        public Closed() {}

        @Test
        void every_call_on_a_closed_executor_fails_with_a_store_exception() {
            Executor store = openStore();
            Evento closedEvento = eventoOn(store);
            String id = closedEvento
                    .create()
                    .event(new Account.Opened("Closing", 1))
                    .commit();
            String cursor = store.read(ReadQuery.all(PageRequest.forward(1)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();
            Lease lease = store.acquireLease("sub", "w1", LONG_TTL).orElseThrow();
            StoredSnapshot snapshot = snapshot("balance", ACCOUNT_TYPE, id, 1, new byte[] {1});
            store.saveSnapshot(snapshot);

            close(store);

            Map<String, ThrowingCallable> calls = new LinkedHashMap<>();
            calls.put(
                    "write",
                    () -> store.write(List.of(
                            stored(ACCOUNT_TYPE, id, 2, "Deposited", Optional.empty(), json("{\"amount\":1}")))));
            calls.put("read", () -> store.read(ReadQuery.all(PageRequest.forward(1))));
            calls.put("read after a cursor", () -> store.read(ReadQuery.all(PageRequest.forward(1, cursor))));
            calls.put("readAggregate", () -> store.readAggregate(ACCOUNT_TYPE, id, 0, 10));
            calls.put("lastEvent", () -> store.lastEvent(ACCOUNT_TYPE, id));
            calls.put("acquireLease", () -> store.acquireLease("sub2", "w1", LONG_TTL));
            calls.put("releaseLease", () -> store.releaseLease(lease));
            calls.put("subscriberCursor", () -> store.subscriberCursor("sub"));
            calls.put("acknowledge", () -> store.acknowledge(lease, cursor));
            calls.put("snapshot", () -> store.snapshot("balance", ACCOUNT_TYPE, id));
            calls.put("saveSnapshot", () -> store.saveSnapshot(snapshot));
            calls.put(
                    "Evento commit",
                    () -> closedEvento
                            .aggregator(id)
                            .event(new Account.Deposited(1))
                            .commit());
            calls.put(
                    "Evento create",
                    () -> closedEvento
                            .create()
                            .event(new Account.Opened("late", 1))
                            .commit());
            calls.put("Evento load", () -> closedEvento.load(ACCOUNT, id));
            calls.put("Evento read", () -> closedEvento.read(ReadQuery.all(PageRequest.forward(1))));
            calls.forEach((what, call) -> assertThatThrownBy(call).as(what).isInstanceOf(StoreException.class));

            assertThat(storedEvents(executor)).as("the other store").isEmpty();
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Helpers
    // ---------------------------------------------------------------------------------------------

    /** The events of a walk over pages, and how many pages it took. */
    private record Walk(List<Event<?>> events, int pages) {}

    /** A worker of a concurrent scenario. */
    @FunctionalInterface
    private interface Worker {
        void run(int index) throws Exception;
    }

    /** A fresh store, closed after the test. */
    private Executor openStore() {
        Executor store = newExecutor();
        assertThat(store).as("newExecutor()").isNotNull();
        for (Executor previous : stores) {
            assertThat(store).as("newExecutor() returns a new store every time").isNotSameAs(previous);
        }
        stores.add(store);
        return store;
    }

    /** Closes a store now; the suite will not close it again. */
    private void close(Executor store) {
        stores.remove(store);
        store.close();
    }

    private static Evento eventoOn(Executor store) {
        return Evento.builder(store).register(Account.class, Owner.class).build();
    }

    /** Every stored event of a store, in global order. */
    private static List<StoredEvent> storedEvents(Executor store) {
        List<StoredEvent> all = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        for (int pages = 0; pages < 1_000; pages++) {
            Page<StoredEvent> page = store.read(new ReadQuery(
                    List.of(), RoutingFilter.ALL, new PageRequest(Direction.FORWARD, Limits.PAGE_MAX_SIZE, cursor)));
            all.addAll(page.nodes());
            if (!page.pageInfo().hasNextPage()) {
                return all;
            }
            cursor = page.pageInfo().endCursor();
        }
        throw new AssertionError("the log never ends: hasNextPage stayed true");
    }

    /** Every decoded event matching the filters, in global order. */
    private List<Event<?>> events(List<EventFilter> filters, RoutingFilter routing) {
        return walkForward(filters, routing, Limits.PAGE_MAX_SIZE).events();
    }

    /** Reads page after page forward, checking each page's shape on the way. */
    private Walk walkForward(List<EventFilter> filters, RoutingFilter routing, int size) {
        List<Event<?>> seen = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        for (int pages = 1; pages < 100_000; pages++) {
            Page<Event<?>> page =
                    evento.read(new ReadQuery(filters, routing, new PageRequest(Direction.FORWARD, size, cursor)));
            assertThat(page.edges())
                    .as("forward page %d of size %d", pages, size)
                    .hasSizeLessThanOrEqualTo(size);
            assertThat(page.pageInfo().hasPreviousPage())
                    .as("hasPreviousPage of forward page %d", pages)
                    .isEqualTo(cursor.isPresent());
            assertBoundaryCursors(page);
            seen.addAll(page.nodes());
            if (!page.pageInfo().hasNextPage()) {
                return new Walk(seen, pages);
            }
            assertThat(page.edges())
                    .as("a forward page with a next page is full")
                    .hasSize(size);
            cursor = page.pageInfo().endCursor();
        }
        throw new AssertionError("paging forward never ends");
    }

    /** Reads page after page backward from the end, checking each page's shape on the way. */
    private Walk walkBackward(List<EventFilter> filters, RoutingFilter routing, int size) {
        List<Event<?>> seen = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        for (int pages = 1; pages < 100_000; pages++) {
            Page<Event<?>> page =
                    evento.read(new ReadQuery(filters, routing, new PageRequest(Direction.BACKWARD, size, cursor)));
            assertThat(page.edges())
                    .as("backward page %d of size %d", pages, size)
                    .hasSizeLessThanOrEqualTo(size);
            assertThat(page.pageInfo().hasNextPage())
                    .as("hasNextPage of backward page %d", pages)
                    .isEqualTo(cursor.isPresent());
            assertBoundaryCursors(page);
            seen.addAll(0, page.nodes());
            if (!page.pageInfo().hasPreviousPage()) {
                return new Walk(seen, pages);
            }
            assertThat(page.edges())
                    .as("a backward page with a previous page is full")
                    .hasSize(size);
            cursor = page.pageInfo().startCursor();
        }
        throw new AssertionError("paging backward never ends");
    }

    private static void assertBoundaryCursors(Page<?> page) {
        if (page.isEmpty()) {
            assertThat(page.pageInfo().startCursor())
                    .as("startCursor of an empty page")
                    .isEmpty();
            assertThat(page.pageInfo().endCursor())
                    .as("endCursor of an empty page")
                    .isEmpty();
        } else {
            assertThat(page.pageInfo().startCursor())
                    .contains(page.edges().getFirst().cursor());
            assertThat(page.pageInfo().endCursor())
                    .contains(page.edges().getLast().cursor());
        }
    }

    /**
     * Commits {@code Deposited(1..n)}, one per commit, round-robin over three accounts.
     *
     * @return the amounts in commit order
     */
    private List<Long> seedDeposits(int n) {
        List<Long> amounts = new ArrayList<>();
        for (long i = 1; i <= n; i++) {
            evento.aggregator("acc-" + (i % 3)).event(new Account.Deposited(i)).commit();
            amounts.add(i);
        }
        return amounts;
    }

    /** Commits {@code count} deposits of {@code amount} to one aggregate in one commit. */
    private void commitDeposits(String id, int count, long amount) {
        CommitBuilder commit = evento.aggregator(id);
        for (int i = 0; i < count; i++) {
            commit.event(new Account.Deposited(amount));
        }
        commit.commit();
    }

    private static List<Long> amounts(List<Event<?>> events) {
        return events.stream().map(e -> ((Account.Deposited) e.data()).amount()).toList();
    }

    private static List<Object> payloads(List<? extends Event<?>> events) {
        return events.stream().<Object>map(Event::data).toList();
    }

    private static List<String> ids(List<Event<?>> events) {
        return events.stream().map(Event::id).toList();
    }

    private static List<String> idsOf(List<StoredEvent> events, Predicate<StoredEvent> selected) {
        return events.stream().filter(selected).map(StoredEvent::id).toList();
    }

    private static List<Integer> versions(List<StoredEvent> events) {
        return events.stream().map(StoredEvent::version).toList();
    }

    /** The cursor with one character replaced by another. */
    private static String altered(String cursor, int index) {
        char c = cursor.charAt(index);
        char replacement = c == 'A' ? 'B' : 'A';
        return cursor.substring(0, index) + replacement + cursor.substring(index + 1);
    }

    private static byte[] json(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** An event written straight through the SPI, with valid metadata and a whole-ms timestamp. */
    static StoredEvent stored(
            String type, String id, int version, String name, Optional<String> routingKey, byte[] data) {
        return new StoredEvent(
                newEventId(),
                type,
                id,
                version,
                name,
                routingKey,
                data,
                json("{\"id\":\"" + newEventId() + "\"}"),
                TIMESTAMP_MICROS);
    }

    private static StoredSnapshot snapshot(String projection, String type, String id, int version, byte[] data) {
        return new StoredSnapshot(projection, type, id, "rev-1", version, data, TIMESTAMP_MICROS);
    }

    /** A new random ULID: 48 bits of milliseconds and 80 random bits, in Crockford base32. */
    static String newEventId() {
        char[] chars = new char[26];
        long time = System.currentTimeMillis();
        for (int i = 9; i >= 0; i--) {
            chars[i] = CROCKFORD.charAt((int) (time & 31));
            time >>>= 5;
        }
        ThreadLocalRandom random = ThreadLocalRandom.current();
        for (int i = 10; i < chars.length; i++) {
            chars[i] = CROCKFORD.charAt(random.nextInt(32));
        }
        return new String(chars);
    }

    /**
     * Runs workers on virtual threads, after starting {@code others} (helper threads that take part
     * in the scenario), and rethrows the first failure of any of them.
     */
    private static void runConcurrently(int workers, Worker worker, Thread... others) throws InterruptedException {
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Thread> threads = new ArrayList<>();
        for (int w = 0; w < workers; w++) {
            int index = w;
            threads.add(Thread.ofVirtual().name("tck-worker-" + w).start(() -> {
                try {
                    worker.run(index);
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread other : others) {
            other.setUncaughtExceptionHandler((t, e) -> failures.add(e));
            other.start();
        }
        for (Thread thread : threads) {
            if (!thread.join(PATIENCE.multipliedBy(3))) {
                failures.add(new AssertionError(thread.getName() + " did not finish in time"));
            }
        }
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError("a worker failed: " + failures.getFirst(), failures.getFirst());
            failures.stream().skip(1).forEach(error::addSuppressed);
            throw error;
        }
    }
}
