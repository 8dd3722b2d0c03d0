package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.CommitBuilder;
import io.evento.ConcurrencyException;
import io.evento.Event;
import io.evento.EventFilter;
import io.evento.Evento;
import io.evento.Loaded;
import io.evento.Metadata;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.PageRequest.Direction;
import io.evento.RoutingFilter;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.domain.Account;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

/**
 * Concurrent writers and readers: one winner per version, atomic commits, a log without gaps.
 *
 * <p>Run by {@link ExecutorTck} as its {@code Concurrency} group.
 */
abstract class ConcurrencyScenarios extends Scenarios {
    ConcurrencyScenarios(StoresUnderTest stores) {
        super(stores);
    }

    /** One commit attempt of a worker: its tag (the commit's metadata id) and loaded version. */
    private record Attempt(String tag, int loadedVersion) {}

    @Test
    void concurrent_commits_from_the_same_loaded_version_have_exactly_one_winner_each_round() throws Exception {
        int workers = 8;
        int rounds = 20;
        int perCommit = 3;
        String id = evento().create().event(new Account.Opened("race", 0)).commit();
        CyclicBarrier barrier = new CyclicBarrier(workers);
        ConcurrentLinkedQueue<Attempt> winners = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Attempt> losers = new ConcurrentLinkedQueue<>();

        runConcurrently(workers, w -> {
            for (int round = 0; round < rounds; round++) {
                barrier.await(PATIENCE.toSeconds(), TimeUnit.SECONDS);
                Loaded<AccountView> loaded = evento().load(ACCOUNT, id).orElseThrow();
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
        String id = evento().create().event(new Account.Opened("retry", 0)).commit();
        CountDownLatch start = new CountDownLatch(1);
        ConcurrentLinkedQueue<Attempt> winners = new ConcurrentLinkedQueue<>();
        ConcurrentLinkedQueue<Attempt> losers = new ConcurrentLinkedQueue<>();

        // An observer loading the aggregate meanwhile must only ever see whole commits.
        AtomicBoolean done = new AtomicBoolean();
        List<Loaded<AccountView>> observed = new CopyOnWriteArrayList<>();
        Thread observer = Thread.ofPlatform().unstarted(() -> {
            start.countDown();
            do {
                observed.add(evento().load(ACCOUNT, id).orElseThrow());
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
                        Loaded<AccountView> loaded = evento().load(ACCOUNT, id).orElseThrow();
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
        String id = evento().create().event(new Account.Opened("append", 0)).commit();
        CountDownLatch start = new CountDownLatch(1);

        runConcurrently(
                workers,
                w -> {
                    assertThat(start.await(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                            .isTrue();
                    for (int i = 0; i < appendsEach; i++) {
                        evento().aggregator(id)
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
        assertThat(evento().load(ACCOUNT, id))
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
                        evento().aggregator(id)
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
        List<StoredEvent> stored = storedEvents(store());
        assertThat(stored).hasSize(2);
        assertThat(evento().load(ACCOUNT, id)).hasValueSatisfying(l -> {
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
                        String id = evento().create()
                                .event(new Account.Opened("w" + w, i))
                                .event(new Account.Deposited(1))
                                .commit();
                        created.add(id);
                        evento().aggregator(id).event(new Account.Deposited(2)).commit();
                    }
                },
                Thread.ofVirtual().unstarted(start::countDown));

        List<StoredEvent> all = storedEvents(store());
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
                Page<StoredEvent> page = store().read(new ReadQuery(
                        List.of(), RoutingFilter.ALL, new PageRequest(Direction.FORWARD, 7, cursor)));
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
                    String id = evento().create()
                            .event(new Account.Opened("tail-" + w, 0))
                            .event(new Account.Deposited(0))
                            .commit();
                    for (int i = 1; i < commitsEach; i++) {
                        evento().aggregator(id)
                                .event(new Account.Deposited(i))
                                .event(new Account.Deposited(-i))
                                .commit();
                    }
                },
                reader);
        assertThat(reader.join(PATIENCE)).as("the reader finished").isTrue();

        List<String> finalOrder =
                storedEvents(store()).stream().map(StoredEvent::id).toList();
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
        assertThat(evento().load(ACCOUNT, id)).hasValueSatisfying(l -> {
            assertThat(l.version()).isEqualTo(events.size());
            assertThat(l.state().balance()).isEqualTo(deposited);
        });
    }
}
