package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.Codec;
import io.evento.Evento;
import io.evento.Limits;
import io.evento.Loaded;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.PageRequest.Direction;
import io.evento.RoutingFilter;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Owner;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The global order is skip-free: a reader that tails the log with the public read API sees every
 * committed event exactly once, in one order, even when transactions commit out of order.
 *
 * <p>Run by {@link ExecutorTck} as its {@code GlobalOrder} group.
 */
abstract class GlobalOrderScenarios extends Scenarios {
    GlobalOrderScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void a_tailing_reader_sees_every_committed_event_once_while_transactions_commit_late_or_roll_back()
            throws Exception {
        int writers = 8;
        int commitsEach = 30;
        int heldWrites = 6;

        // Open the held writes first: on a store with concurrent writers their transactions are
        // older than every commit below, the worst case for a reader that trusts positions.
        List<HeldAccount> held = holdAccounts(heldWrites);
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
                Page<StoredEvent> page = store().read(new ReadQuery(
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
                    String id = evento().create()
                            .event(new Account.Opened("race-" + w, 0))
                            .commit();
                    for (int i = 1; i < commitsEach; i++) {
                        evento().aggregator(id).event(new Account.Deposited(i)).commit();
                        if (i == commitsEach / 2 && w < heldWrites) {
                            // Resolve a held write in the middle of everyone else's commits.
                            if (w % 3 == 2) {
                                held.get(w).write().rollback();
                                rolledBack.addAll(held.get(w).eventIds());
                            } else {
                                held.get(w).write().commit();
                                heldCommitted.addAll(held.get(w).eventIds());
                            }
                        }
                    }
                    evento().executor()
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
                        storedEvents(store()).stream().map(StoredEvent::id).toList());
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
        Evento strict = Evento.builder(store())
                .register(Account.class, Owner.class)
                .codec(picky)
                .build();
        String id = strict.create().event(new Account.Opened("codec", 10)).commit();
        List<StoredEvent> before = storedEvents(store());

        assertThatThrownBy(() -> strict.aggregator(id)
                        .originalVersion(1)
                        .event(new Account.Deposited(5))
                        .event(new Account.Withdrawn(-1))
                        .commit())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("negative withdrawals cannot be encoded");

        assertThat(storedEvents(store())).isEqualTo(before);
        assertThat(strict.load(ACCOUNT, id)).get().extracting(Loaded::version).isEqualTo(1);
    }
}
