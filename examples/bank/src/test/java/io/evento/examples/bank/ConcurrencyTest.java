package io.evento.examples.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.ConcurrencyException;
import io.evento.Evento;
import io.evento.Loaded;
import io.evento.examples.bank.Account.AccountType;
import io.evento.examples.bank.Account.MoneyDeposited;
import io.evento.examples.bank.BankRuleViolation.Rule;
import io.evento.memory.InMemoryExecutor;
import io.evento.spi.Executor;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Commands that race: the loser reloads, re-checks the rules and tries again. */
class ConcurrencyTest {
    private static final int THREADS = 64;

    private Executor executor;
    private Evento evento;

    @BeforeEach
    void openStore() {
        executor = InMemoryExecutor.create();
        evento = Evento.builder(executor).register(Account.class).build();
    }

    @AfterEach
    void closeStore() {
        executor.close();
    }

    @Test
    void concurrent_deposits_from_virtual_threads_all_land() throws Exception {
        Bank bank = bankFor(evento);
        String id = bank.openAccount("customer-1", "Alice", AccountType.CHECKING, "EUR", 0);

        List<Outcome> outcomes = race(THREADS, i -> bank.deposit(id, i + 1, "deposit " + i));

        assertThat(outcomes).containsOnly(Outcome.DONE);
        long expected = (long) THREADS * (THREADS + 1) / 2;
        assertThat(evento.load(Balance.PROJECTION, id).orElseThrow().state().cents())
                .isEqualTo(expected);
        assertThat(bank.load(id).version()).isEqualTo(THREADS + 1);
    }

    @Test
    void concurrent_withdrawals_never_spend_the_same_money_twice() throws Exception {
        Bank bank = bankFor(evento);
        String id = bank.openAccount("customer-1", "Alice", AccountType.CHECKING, "EUR", 10_00);

        // 64 withdrawals of 1.00 from 10.00: each one that lost a race re-checks the funds against
        // the balance the winners left, so exactly ten succeed.
        List<Outcome> outcomes = race(THREADS, i -> bank.withdraw(id, 1_00, "coffee " + i));

        assertThat(outcomes.stream().filter(o -> o == Outcome.DONE)).hasSize(10);
        assertThat(outcomes.stream().filter(o -> o == Outcome.INSUFFICIENT_FUNDS))
                .hasSize(THREADS - 10);
        assertThat(evento.load(Balance.PROJECTION, id).orElseThrow().state().cents())
                .isZero();
    }

    @Test
    void a_command_that_loses_a_race_decides_again_on_the_new_state() {
        Bank bank = new Bank(evento, 3);
        String id = bank.openAccount("customer-1", "Alice", AccountType.CHECKING, "EUR", 100_00);
        List<Long> balancesSeen = new ArrayList<>();

        bank.execute(id, state -> {
            balancesSeen.add(state.balance());
            if (balancesSeen.size() == 1) {
                // Another clerk commits between our load and our commit.
                evento.aggregator(id)
                        .event(new MoneyDeposited(5_00, "t-1", "cheque"))
                        .commit();
            }
            return state.deposit(1_00, "t-2", "cash");
        });

        assertThat(balancesSeen).containsExactly(100_00L, 105_00L);
        assertThat(evento.load(Balance.PROJECTION, id).orElseThrow().state().cents())
                .isEqualTo(106_00);
    }

    @Test
    void a_command_gives_up_with_the_concurrency_exception_after_the_last_attempt() {
        Bank bank = new Bank(evento, 3);
        String id = bank.openAccount("customer-1", "Alice", AccountType.CHECKING, "EUR", 100_00);
        AtomicInteger attempts = new AtomicInteger();

        assertThatThrownBy(() -> bank.execute(id, state -> {
                    attempts.incrementAndGet();
                    evento.aggregator(id)
                            .event(new MoneyDeposited(1, "t", "racer"))
                            .commit();
                    return state.deposit(1_00, "t-2", "cash");
                }))
                .isInstanceOfSatisfying(ConcurrencyException.class, e -> {
                    assertThat(e.aggregatorId()).isEqualTo(id);
                    assertThat(e.expectedVersion()).isEqualTo(3); // the version of the third load
                });
        assertThat(attempts).hasValue(3);
    }

    @Test
    void a_rule_violation_is_never_retried() {
        Bank bank = new Bank(evento, 3);
        String id = bank.openAccount("customer-1", "Alice", AccountType.CHECKING, "EUR", 0);
        AtomicInteger attempts = new AtomicInteger();

        assertThatThrownBy(() -> bank.execute(id, state -> {
                    attempts.incrementAndGet();
                    return state.withdraw(1_00, "t", "cash", LocalDate.now(ZoneOffset.UTC));
                }))
                .isInstanceOf(BankRuleViolation.class);
        assertThat(attempts).hasValue(1);
    }

    @Test
    void two_clerks_holding_the_same_version_cannot_both_commit() {
        Bank bank = bankFor(evento);
        String id = bank.openAccount("customer-1", "Alice", AccountType.CHECKING, "EUR", 100_00);
        Loaded<AccountState> clerk1 = bank.load(id);
        Loaded<AccountState> clerk2 = bank.load(id);

        clerk1.append().event(clerk1.state().deposit(1_00, "t-1", "x")).commit();

        assertThatThrownBy(() -> clerk2.append()
                        .event(clerk2.state().deposit(2_00, "t-2", "x"))
                        .commit())
                .isInstanceOf(ConcurrencyException.class);
        assertThat(bank.load(id).version()).isEqualTo(2);
    }

    /**
     * A bank whose commands succeed however the threads interleave: a command only loses a race
     * to another command's successful commit, and there are {@value #THREADS} commands, so no
     * command can lose more than {@code THREADS - 1} times.
     */
    static Bank bankFor(Evento evento) {
        return new Bank(evento, THREADS);
    }

    enum Outcome {
        DONE,
        INSUFFICIENT_FUNDS
    }

    interface Command {
        void run(int i);
    }

    /** Starts every command at once on its own virtual thread and waits for all of them. */
    static List<Outcome> race(int threads, Command command) throws Exception {
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Outcome>> futures = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < threads; i++) {
                int n = i;
                futures.add(pool.submit(() -> {
                    start.await();
                    try {
                        command.run(n);
                        return Outcome.DONE;
                    } catch (BankRuleViolation e) {
                        assertThat(e.rule()).isEqualTo(Rule.INSUFFICIENT_FUNDS);
                        return Outcome.INSUFFICIENT_FUNDS;
                    }
                }));
            }
            start.countDown();
        }
        List<Outcome> outcomes = new ArrayList<>();
        for (Future<Outcome> f : futures) {
            outcomes.add(f.get());
        }
        return outcomes;
    }
}
