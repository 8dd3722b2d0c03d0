package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.Event;
import io.evento.EventFilter;
import io.evento.EventTail;
import io.evento.PageRequest;
import io.evento.spi.ReadQuery;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Reading the log while it grows: a live subscriber while transactions commit late or roll back,
 * lazy streams, tails that resume from their cursor or are closed from another thread, and the
 * connection a transactional subscription's context gives.
 *
 * <p>Run by {@link ExecutorTck} as its {@code LiveReads} group.
 */
abstract class LiveReadScenarios extends SubscribingScenarios {
    LiveReadScenarios(StoresUnderTest stores) {
        super(stores);
    }

    // ---------------------------------------------------------------------------------------------
    // The global-order race, with a live subscriber
    // ---------------------------------------------------------------------------------------------

    @Test
    void a_live_subscriber_sees_every_committed_event_once_while_transactions_commit_late_or_roll_back()
            throws Exception {
        int writers = 6;
        int commitsEach = 20;
        int heldWrites = 4;
        List<HeldAccount> held = holdAccounts(heldWrites);
        Recorder seen = new Recorder();
        started(evento().subscription("racing")
                .on(Account.class, seen)
                .chunkSize(7)
                .pollInterval(FAST_POLL));
        Set<String> rolledBack = ConcurrentHashMap.newKeySet();
        List<Thread> threads = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int w = 0; w < writers; w++) {
            int index = w;
            threads.add(Thread.ofVirtual().start(() -> {
                try {
                    String id = evento().create()
                            .event(new Account.Opened("race-" + index, 0))
                            .commit();
                    for (int i = 1; i < commitsEach; i++) {
                        evento().aggregator(id).event(new Account.Deposited(i)).commit();
                        if (i == commitsEach / 2 && index < heldWrites) {
                            if (index % 2 == 1) {
                                held.get(index).write().rollback();
                                rolledBack.addAll(held.get(index).eventIds());
                            } else {
                                held.get(index).write().commit();
                            }
                        }
                    }
                } catch (Throwable t) {
                    failures.add(t);
                }
            }));
        }
        for (Thread t : threads) {
            assertThat(t.join(SUBSCRIPTION_PATIENCE)).isTrue();
        }
        assertThat(failures).isEmpty();
        int expected = writers * commitsEach + 2 * (heldWrites / 2);

        seen.awaitCount(expected);

        assertThat(seen.ids()).doesNotHaveDuplicates().doesNotContainAnyElementsOf(rolledBack);
        assertThat(seen.ids()).containsExactlyElementsOf(globalOrder());
        assertThat(seen.ids()).hasSize(expected);
    }

    // ---------------------------------------------------------------------------------------------
    // Streams and tails
    // ---------------------------------------------------------------------------------------------

    @Test
    void a_stream_pages_lazily_through_the_whole_log_from_any_cursor() {
        seedDepositsOverFourAccounts(23);
        evento().create().event(new Owner.Created("not an account")).commit();
        List<String> order = globalOrder();

        List<String> all = evento().stream(ReadQuery.of(PageRequest.forward(7), EventFilter.type(Account.class)))
                .map(Event::id)
                .toList();
        List<String> fromCursor = evento().stream(
                        ReadQuery.of(PageRequest.forward(4, cursorOf(14)), EventFilter.type(Account.class)))
                .map(Event::id)
                .toList();
        List<String> firstThree = evento().stream(ReadQuery.all(PageRequest.forward(2)))
                .limit(3)
                .map(Event::id)
                .toList();

        assertThat(all).containsExactlyElementsOf(order);
        assertThat(fromCursor).containsExactlyElementsOf(order.subList(15, 23));
        assertThat(firstThree).containsExactlyElementsOf(order.subList(0, 3));
        assertThatThrownBy(() -> evento().stream(ReadQuery.all(PageRequest.backward(5))))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_tail_returns_the_existing_events_then_new_commits_and_can_resume_from_its_cursor() throws Exception {
        seedDepositsOverFourAccounts(3);
        List<String> seen = new ArrayList<>();
        String resumeAt;
        try (EventTail tail = evento().tail(ReadQuery.of(PageRequest.forward(2), EventFilter.type(Account.class)))) {
            for (int i = 0; i < 3; i++) {
                seen.add(tail.next().id());
            }
            assertThat(tail.poll(Duration.ofMillis(20))).as("nothing new yet").isEmpty();
            Thread writer = Thread.ofVirtual().start(() -> seedDepositsOverFourAccounts(2));
            seen.add(tail.next().id());
            seen.add(tail.next().id());
            writer.join();
            resumeAt = tail.cursor().orElseThrow();
        }
        assertThat(seen).containsExactlyElementsOf(globalOrder());

        seedDepositsOverFourAccounts(1);
        try (EventTail resumed = evento().tail(ReadQuery.all(PageRequest.forward(10, resumeAt)))) {
            assertThat(resumed.poll(SUBSCRIPTION_PATIENCE).orElseThrow().id())
                    .isEqualTo(globalOrder().getLast());
        }
    }

    @Test
    void closing_a_tail_from_another_thread_ends_a_blocked_next() throws Exception {
        EventTail tail = evento().tail(ReadQuery.all(PageRequest.forward(10)));
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        CountDownLatch waiting = new CountDownLatch(1);
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                waiting.countDown();
                tail.next();
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        waiting.await();

        tail.close();

        assertThat(reader.join(SUBSCRIPTION_PATIENCE)).isTrue();
        assertThat(thrown.get()).isInstanceOf(NoSuchElementException.class);
        assertThat(tail.hasNext()).isFalse();
    }

    @Test
    void the_connection_of_a_context_is_only_for_transactional_subscriptions() {
        seedDepositsOverFourAccounts(1);
        AtomicReference<Throwable> thrown = new AtomicReference<>();

        evento().subscription("plain")
                .on(Account.class, (e, c) -> {
                    try {
                        c.connection();
                    } catch (IllegalStateException expected) {
                        thrown.set(expected);
                    }
                    assertThat(c.key()).isEqualTo("plain");
                    assertThat(c.attempt()).isEqualTo(1);
                    assertThat(c.executor()).isSameAs(store());
                    assertThat(c.evento()).isSameAs(evento());
                })
                .execute();

        assertThat(thrown.get()).hasMessageContaining("transactional()");
    }
}
