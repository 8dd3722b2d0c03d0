package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.evento.Evento;
import io.evento.Subscription;
import io.evento.SubscriptionFailedException;
import io.evento.SubscriptionHandle;
import io.evento.spi.Executor;
import io.evento.spi.ForwardingExecutor;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * A subscription whose handler or reads fail: retries with backoff, a stop with the checkpoint just
 * before the failing event, read-ahead failures, and parking with later retry or discard.
 *
 * <p>Run by {@link ExecutorTck} as its {@code SubscriptionFailures} group.
 */
abstract class SubscriptionFailureScenarios extends SubscribingScenarios {
    SubscriptionFailureScenarios(StoresUnderTest stores) {
        super(stores);
    }

    // ---------------------------------------------------------------------------------------------
    // Failures
    // ---------------------------------------------------------------------------------------------

    @Test
    void a_failing_event_is_retried_with_backoff_until_it_succeeds() {
        seedDepositsOverFourAccounts(5);
        String flaky = globalOrder().get(2);
        List<Integer> attempts = new CopyOnWriteArrayList<>();
        Recorder seen = new Recorder();

        evento().subscription("flaky")
                .on(Account.class, (e, c) -> {
                    if (e.id().equals(flaky)) {
                        attempts.add(c.attempt());
                        if (c.attempt() < 3) {
                            throw new IllegalStateException("not yet");
                        }
                    }
                    seen.handle(e, c);
                })
                .retry(3)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(5))
                .execute();

        assertThat(attempts).containsExactly(1, 2, 3);
        assertThat(seen.ids()).containsExactlyElementsOf(globalOrder());
        assertThat(store().parked("flaky", 10)).isEmpty();
    }

    @Test
    void when_retries_are_exhausted_the_subscription_stops_with_the_checkpoint_just_before_the_event() {
        seedDepositsOverFourAccounts(6);
        List<String> order = globalOrder();
        Recorder seen = new Recorder();
        SubscriptionHandle handle = started(evento().subscription("broken")
                .on(Account.class, (e, c) -> {
                    if (e.id().equals(order.get(3))) {
                        throw new IllegalStateException("poison " + c.attempt());
                    }
                    seen.handle(e, c);
                })
                .retry(2)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(2))
                .pollInterval(FAST_POLL));

        await().atMost(SUBSCRIPTION_PATIENCE).until(() -> !handle.isRunning());

        assertThat(handle.failure()).get().isInstanceOfSatisfying(SubscriptionFailedException.class, f -> {
            assertThat(f.eventId()).isEqualTo(order.get(3));
            assertThat(f.attempts()).isEqualTo(3);
            assertThat(f.getCause()).hasMessage("poison 3");
        });
        assertThat(seen.ids()).containsExactlyElementsOf(order.subList(0, 3));
        assertThat(store().subscriberCursor("broken")).contains(cursorOf(2));
        assertThat(store().subscriber("broken").orElseThrow().leased(java.time.Instant.now()))
                .as("the stopped worker released its lease")
                .isFalse();
        assertThatThrownBy(() -> evento().subscription("broken")
                        .on(Account.class, (e, c) -> {
                            throw new IllegalStateException("still poison");
                        })
                        .retry(0)
                        .execute())
                .isInstanceOf(SubscriptionFailedException.class)
                .hasMessageContaining(order.get(3));
    }

    @Test
    void a_catch_up_over_many_pages_sees_every_event_once_in_order_while_writers_append() throws Exception {
        // Small chunks make the worker read each next page while it handles the current one.
        seedDepositsOverFourAccounts(60);
        Recorder seen = new Recorder();
        CountDownLatch started = new CountDownLatch(1);
        SubscriptionHandle handle = started(evento().subscription("many-pages")
                .on(Account.class, (e, c) -> {
                    started.countDown();
                    seen.handle(e, c);
                })
                .chunkSize(5)
                .pollInterval(FAST_POLL));
        assertThat(started.await(SUBSCRIPTION_PATIENCE.toSeconds(), java.util.concurrent.TimeUnit.SECONDS))
                .isTrue();
        Thread writer = Thread.ofPlatform().start(() -> seedDepositsOverFourAccounts(40));
        writer.join(SUBSCRIPTION_PATIENCE.toMillis());

        seen.awaitCount(100);
        assertThat(handle.isRunning()).isTrue();
        assertThat(seen.ids()).containsExactlyElementsOf(globalOrder());
        await().atMost(SUBSCRIPTION_PATIENCE)
                .untilAsserted(
                        () -> assertThat(store().subscriberCursor("many-pages")).contains(lastCursor()));
    }

    @Test
    void a_failing_read_ahead_is_read_again_and_nothing_is_skipped() {
        seedDepositsOverFourAccounts(30);
        java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
        // Every read made ahead of the worker fails, as when no pooled connection is free.
        Executor flaky = new ForwardingExecutor(store()) {
            @Override
            public io.evento.Page<StoredEvent> read(ReadQuery query) {
                if (Thread.currentThread().getName().startsWith("evento-read-ahead-")) {
                    failed.incrementAndGet();
                    throw new io.evento.StoreException("no connection for reading ahead", null, true);
                }
                return super.read(query);
            }
        };
        Evento onFlaky =
                Evento.builder(flaky).register(Account.class, Owner.class).build();
        Recorder seen = new Recorder();

        onFlaky.subscription("flaky-ahead").on(Account.class, seen).chunkSize(4).execute();

        assertThat(failed.get()).as("reads ahead were attempted").isPositive();
        assertThat(seen.ids()).containsExactlyElementsOf(globalOrder());
    }

    @Test
    void a_failure_deep_in_a_multi_page_catch_up_keeps_the_checkpoint_just_before_it() {
        seedDepositsOverFourAccounts(30);
        List<String> order = globalOrder();
        Recorder seen = new Recorder();

        assertThatThrownBy(() -> evento().subscription("deep-failure")
                        .on(Account.class, (e, c) -> {
                            if (e.id().equals(order.get(17))) {
                                throw new IllegalStateException("poison");
                            }
                            seen.handle(e, c);
                        })
                        .chunkSize(4)
                        .retry(0)
                        .execute())
                .isInstanceOf(SubscriptionFailedException.class)
                .hasMessageContaining(order.get(17));
        assertThat(seen.ids()).containsExactlyElementsOf(order.subList(0, 17));
        assertThat(store().subscriberCursor("deep-failure")).contains(cursorOf(16));

        Recorder rest = new Recorder();
        evento().subscription("deep-failure")
                .on(Account.class, rest)
                .chunkSize(4)
                .execute();
        assertThat(rest.ids()).containsExactlyElementsOf(order.subList(17, 30));
    }

    @Test
    void with_accept_failure_the_event_is_parked_processing_goes_on_and_it_can_be_retried_later() {
        seedDepositsOverFourAccounts(6);
        List<String> order = globalOrder();
        AtomicBoolean fixed = new AtomicBoolean();
        Recorder seen = new Recorder();
        Subscription subscription = evento().subscription("tolerant")
                .on(Account.class, (e, c) -> {
                    if (e.id().equals(order.get(1)) && !fixed.get()) {
                        throw new IllegalArgumentException("bad \"data\" in " + e.id());
                    }
                    seen.handle(e, c);
                })
                .retry(1)
                .backoff(Duration.ofMillis(1), Duration.ofMillis(2))
                .acceptFailure()
                .pollInterval(FAST_POLL)
                .build();
        handles.add(subscription.start());

        seen.awaitCount(5);
        await().atMost(SUBSCRIPTION_PATIENCE)
                .untilAsserted(
                        () -> assertThat(store().subscriberCursor("tolerant")).contains(cursorOf(5)));
        List<ParkedEvent> parked = subscription.parked();
        assertThat(parked).singleElement().satisfies(p -> {
            assertThat(p.eventId()).isEqualTo(order.get(1));
            assertThat(p.attempts()).isEqualTo(2);
            assertThat(p.error()).contains("bad \"data\" in " + order.get(1));
        });
        assertThat(subscription.status().getFirst().parked()).isEqualTo(1);

        assertThat(subscription.retryParked()).as("still failing").isZero();
        assertThat(subscription.parked())
                .singleElement()
                .extracting(ParkedEvent::attempts)
                .isEqualTo(3);
        fixed.set(true);
        assertThat(subscription.retryParked()).isEqualTo(1);

        assertThat(subscription.parked()).isEmpty();
        assertThat(seen.ids()).containsExactlyInAnyOrderElementsOf(order);
    }

    @Test
    void a_parked_event_can_be_discarded() {
        seedDepositsOverFourAccounts(2);
        Subscription subscription = evento().subscription("discard")
                .on(Account.class, (e, c) -> {
                    throw new IllegalStateException("never");
                })
                .retry(0)
                .acceptFailure()
                .build();
        subscription.execute();
        assertThat(subscription.parked()).hasSize(2);

        assertThat(subscription.discardParked(globalOrder().get(0))).isTrue();
        assertThat(subscription.discardParked(globalOrder().get(0))).isFalse();
        assertThat(subscription.parked())
                .extracting(ParkedEvent::eventId)
                .containsExactly(globalOrder().get(1));
    }
}
