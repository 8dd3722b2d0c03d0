package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.CommitBuilder;
import io.evento.Event;
import io.evento.EventFilter;
import io.evento.Evento;
import io.evento.Limits;
import io.evento.Page;
import io.evento.PageInfo;
import io.evento.PageRequest;
import io.evento.PageRequest.Direction;
import io.evento.Projection;
import io.evento.RoutingFilter;
import io.evento.spi.Executor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.spi.StoredSnapshot;
import io.evento.tck.ExecutorTck.HeldWrite;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * What every scenario group stands on: the stores of the test, and the fixtures the groups share.
 *
 * <p>A group is an abstract subclass in a file named after what it checks ({@code LeaseScenarios},
 * {@code GlobalOrderScenarios}, ...), made concrete by a small {@code @Nested} class in {@link
 * ExecutorTck} that hands it the test's {@link StoresUnderTest}. The groups are inner classes of the
 * suite rather than top-level tests so that JUnit runs every one of them for every backend's
 * subclass of {@link ExecutorTck}, with a fresh store each time.
 *
 * <p>The fixtures live here, once, and not in the groups: the TCK's aggregate types and the
 * projections over them, the data a test writes straight through the SPI, page walks that check
 * each page's shape on the way, and a runner for concurrent workers that reports the first failure
 * of any of them. They are inherited, so a group calls them as its own.
 */
abstract class Scenarios {
    /** Crockford base32, the alphabet of ULIDs. */
    private static final String CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

    /** A ULID: 26 Crockford base32 characters, the first at most 7 (128 bits). */
    static final String ULID = "[0-7][0-9A-HJKMNP-TV-Z]{25}";

    /** A lease that cannot lapse during a test. */
    static final Duration LONG_TTL = Duration.ofMinutes(5);

    /** A lease that lapses almost at once. */
    static final Duration TINY_TTL = Duration.ofMillis(20);

    /** How long any await may take before the scenario fails. */
    static final Duration PATIENCE = Duration.ofSeconds(20);

    /** A commit time with whole milliseconds, which every backend keeps exactly. */
    static final long TIMESTAMP_MICROS = 1_700_000_000_123_000L;

    static final String ACCOUNT_TYPE = "tck/Account";
    static final String OWNER_TYPE = "tck/Owner";

    /** The state the account projections fold to. */
    record AccountView(String owner, long balance, int deposits) {}

    /** An account with what is known of its owner, folded from two aggregate types. */
    record Statement(String owner, long balance, String ownerName, int ownerEvents) {}

    /** Handles every account event. */
    static final Projection<AccountView> ACCOUNT = Projection.builder(
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
    static final Projection<Statement> STATEMENT = Projection.builder(
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

    /** The events of a walk over pages, and how many pages it took. */
    record Walk(List<Event<?>> events, int pages) {}

    /** A worker of a concurrent scenario. */
    @FunctionalInterface
    interface Worker {
        void run(int index) throws Exception;
    }

    private final StoresUnderTest stores;

    Scenarios(StoresUnderTest stores) {
        this.stores = stores;
    }

    /** The store under test, fresh for each scenario. */
    final Executor store() {
        return stores.store();
    }

    /** An {@link Evento} over {@link #store()} with the TCK families registered. */
    final Evento evento() {
        return stores.evento();
    }

    /** A further fresh store, for scenarios about more than one store; closed after the test. */
    final Executor openStore() {
        return stores.openAnother();
    }

    /** Closes a store now; the suite will not close it again. */
    final void close(Executor store) {
        stores.close(store);
    }

    /** An open write on {@code store}, as {@link ExecutorTck#holdWrite} gives. */
    final HeldWrite hold(Executor store, List<StoredEvent> events) {
        return stores.hold(store, events);
    }

    /** A write held open on the store under test, and the ids of its events. */
    record HeldAccount(HeldWrite write, List<String> eventIds) {}

    /**
     * Holds {@code count} writes open on the store under test, each of one new account ({@code
     * held-0}, {@code held-1}, ...): opened, then a deposit of its index.
     */
    final List<HeldAccount> holdAccounts(int count) {
        List<HeldAccount> held = new ArrayList<>();
        for (int h = 0; h < count; h++) {
            List<StoredEvent> events = List.of(
                    stored(
                            ACCOUNT_TYPE,
                            "held-" + h,
                            1,
                            "Opened",
                            Optional.empty(),
                            json("{\"owner\":\"held\",\"balance\":0}")),
                    stored(
                            ACCOUNT_TYPE,
                            "held-" + h,
                            2,
                            "Deposited",
                            Optional.empty(),
                            json("{\"amount\":" + h + "}")));
            held.add(new HeldAccount(
                    hold(store(), events), events.stream().map(StoredEvent::id).toList()));
        }
        return held;
    }

    static Evento eventoOn(Executor store) {
        return Evento.builder(store).register(Account.class, Owner.class).build();
    }

    /** Every stored event of a store, in global order. */
    static List<StoredEvent> storedEvents(Executor store) {
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
    final List<Event<?>> events(List<EventFilter> filters, RoutingFilter routing) {
        return walkForward(filters, routing, Limits.PAGE_MAX_SIZE).events();
    }

    /** Reads page after page forward, checking each page's shape on the way. */
    final Walk walkForward(List<EventFilter> filters, RoutingFilter routing, int size) {
        return walk(Direction.FORWARD, filters, routing, size);
    }

    /** Reads page after page backward from the end, checking each page's shape on the way. */
    final Walk walkBackward(List<EventFilter> filters, RoutingFilter routing, int size) {
        return walk(Direction.BACKWARD, filters, routing, size);
    }

    /**
     * One walk in either direction. Backward is forward mirrored: the flag that says a page has
     * pages behind it, the cursor it continues from and the end its events join the walk at all
     * swap sides.
     */
    private Walk walk(Direction direction, List<EventFilter> filters, RoutingFilter routing, int size) {
        boolean forward = direction == Direction.FORWARD;
        String name = forward ? "forward" : "backward";
        List<Event<?>> seen = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        for (int pages = 1; pages < 100_000; pages++) {
            Page<Event<?>> page =
                    evento().read(new ReadQuery(filters, routing, new PageRequest(direction, size, cursor)));
            PageInfo info = page.pageInfo();
            assertThat(page.edges())
                    .as("%s page %d of size %d", name, pages, size)
                    .hasSizeLessThanOrEqualTo(size);
            assertThat(forward ? info.hasPreviousPage() : info.hasNextPage())
                    .as("%s of %s page %d", forward ? "hasPreviousPage" : "hasNextPage", name, pages)
                    .isEqualTo(cursor.isPresent());
            assertBoundaryCursors(page);
            seen.addAll(forward ? seen.size() : 0, page.nodes());
            if (!(forward ? info.hasNextPage() : info.hasPreviousPage())) {
                return new Walk(seen, pages);
            }
            assertThat(page.edges())
                    .as("a %s page with a %s page is full", name, forward ? "next" : "previous")
                    .hasSize(size);
            cursor = forward ? info.endCursor() : info.startCursor();
        }
        throw new AssertionError("paging " + name + " never ends");
    }

    static void assertBoundaryCursors(Page<?> page) {
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
    final List<Long> seedDeposits(int n) {
        List<Long> amounts = new ArrayList<>();
        for (long i = 1; i <= n; i++) {
            evento().aggregator("acc-" + (i % 3))
                    .event(new Account.Deposited(i))
                    .commit();
            amounts.add(i);
        }
        return amounts;
    }

    /** Commits {@code count} deposits of {@code amount} to one aggregate in one commit. */
    final void commitDeposits(String id, int count, long amount) {
        CommitBuilder commit = evento().aggregator(id);
        for (int i = 0; i < count; i++) {
            commit.event(new Account.Deposited(amount));
        }
        commit.commit();
    }

    static List<Long> amounts(List<Event<?>> events) {
        return events.stream().map(e -> ((Account.Deposited) e.data()).amount()).toList();
    }

    static List<Object> payloads(List<? extends Event<?>> events) {
        return events.stream().<Object>map(Event::data).toList();
    }

    static List<String> ids(List<Event<?>> events) {
        return events.stream().map(Event::id).toList();
    }

    static List<String> idsOf(List<StoredEvent> events, Predicate<StoredEvent> selected) {
        return events.stream().filter(selected).map(StoredEvent::id).toList();
    }

    static List<Integer> versions(List<StoredEvent> events) {
        return events.stream().map(StoredEvent::version).toList();
    }

    /** The cursor with one character replaced by another. */
    static String altered(String cursor, int index) {
        char c = cursor.charAt(index);
        char replacement = c == 'A' ? 'B' : 'A';
        return cursor.substring(0, index) + replacement + cursor.substring(index + 1);
    }

    static byte[] json(String text) {
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

    static StoredSnapshot snapshot(String projection, String type, String id, int version, byte[] data) {
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
    static void runConcurrently(int workers, Worker worker, Thread... others) throws InterruptedException {
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
