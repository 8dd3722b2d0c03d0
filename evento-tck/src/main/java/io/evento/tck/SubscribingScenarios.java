package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.evento.Edge;
import io.evento.Event;
import io.evento.EventFilter;
import io.evento.PageRequest;
import io.evento.StoreException;
import io.evento.Subscription;
import io.evento.SubscriptionHandle;
import io.evento.SubscriptionStatus;
import io.evento.spi.Executor;
import io.evento.spi.ForwardingExecutor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;

/**
 * What the subscription groups share: the subscriptions a scenario starts, stopped after it, and
 * helpers to seed the log, record what a handler saw and read the order it should have seen.
 */
abstract class SubscribingScenarios extends Scenarios {
    /** How long a subscription scenario waits; longer than the rest of the suite waits. */
    static final Duration SUBSCRIPTION_PATIENCE = Duration.ofSeconds(30);

    static final Duration FAST_POLL = Duration.ofMillis(50);

    /** The subscriptions a scenario started; shut down after it. */
    final List<SubscriptionHandle> handles = new ArrayList<>();

    SubscribingScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @AfterEach
    void stopHandles() {
        handles.forEach(SubscriptionHandle::shutdown);
    }

    /** Records the ids of handled events, in order. */
    static final class Recorder implements Subscription.Handler<Account> {
        private final List<String> ids = new CopyOnWriteArrayList<>();

        @Override
        public void handle(Event<Account> event, Subscription.Context context) {
            ids.add(event.id());
        }

        List<String> ids() {
            return List.copyOf(ids);
        }

        void awaitCount(int n) {
            await().atMost(SUBSCRIPTION_PATIENCE)
                    .untilAsserted(() -> assertThat(ids).hasSizeGreaterThanOrEqualTo(n));
        }
    }

    SubscriptionHandle started(Subscription.Builder builder) {
        SubscriptionHandle handle = builder.start();
        handles.add(handle);
        return handle;
    }

    SubscriptionStatus statusOf(String key) {
        return evento().subscription(key)
                .on(Account.class, (e, c) -> {})
                .build()
                .status()
                .getFirst();
    }

    /** Accounts without routing key, with "eu" and with "us"; ids by routing key ("" for none). */
    Map<String, List<String>> seedRouted() {
        Map<String, List<String>> ids = new HashMap<>();
        for (int i = 0; i < 3; i++) {
            for (String key : List.of("", "eu", "us")) {
                var commit = evento().create().event(new Account.Opened("o" + i + key, i));
                if (!key.isEmpty()) {
                    commit.routingKey(key);
                }
                String id = commit.commit();
                evento().aggregator(id).event(new Account.Deposited(i)).commit();
            }
        }
        for (StoredEvent e : storedEvents()) {
            ids.computeIfAbsent(e.routingKey().orElse(""), k -> new ArrayList<>())
                    .add(e.id());
        }
        return ids;
    }

    void seedDepositsOverFourAccounts(int n) {
        for (int i = 0; i < n; i++) {
            evento().aggregator("acc-" + (i % 4))
                    .event(new Account.Deposited(i))
                    .commit();
        }
    }

    List<StoredEvent> storedEvents() {
        return evento().stream(ReadQuery.of(PageRequest.forward(500), EventFilter.type(Account.class)))
                .map(e -> store().readAggregate(e.aggregatorType(), e.aggregatorId(), e.version() - 1, 1)
                        .getFirst())
                .toList();
    }

    List<String> globalOrder() {
        return storedEvents().stream()
                .filter(e -> e.aggregatorType().equals("tck/Account"))
                .map(StoredEvent::id)
                .toList();
    }

    List<Edge<StoredEvent>> edges() {
        List<Edge<StoredEvent>> all = new ArrayList<>();
        Optional<String> cursor = Optional.empty();
        while (true) {
            var page = store().read(new ReadQuery(
                    List.of(EventFilter.type(Account.class)),
                    io.evento.RoutingFilter.ALL,
                    new PageRequest(PageRequest.Direction.FORWARD, 1_000, cursor)));
            all.addAll(page.edges());
            if (!page.pageInfo().hasNextPage()) {
                return all;
            }
            cursor = page.pageInfo().endCursor();
        }
    }

    String cursorOf(int index) {
        return edges().get(index).cursor();
    }

    String lastCursor() {
        return edges().getLast().cursor();
    }

    /**
     * An executor whose process "dies": after {@link #kill()} every call fails as a broken
     * connection would, and nothing the dead worker does reaches the store.
     */
    static class Killable extends ForwardingExecutor {
        private volatile boolean killed;

        Killable(Executor store) {
            super(store);
        }

        void kill() {
            killed = true;
        }

        @Override
        protected Executor delegate() {
            if (killed) {
                throw new StoreException("connection reset (the process was killed)", null, true);
            }
            return super.delegate();
        }

        @Override
        public Registration onCommit(Runnable listener) {
            // Registered on the real store even after the kill: a dead process hears nothing, but
            // its registration is not what this scenario is about.
            return super.delegate().onCommit(listener);
        }

        @Override
        public void close() {
            // The real store belongs to the suite.
        }
    }
}
