package io.evento.examples.bank;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.Evento;
import io.evento.Loaded;
import io.evento.examples.bank.Account.AccountType;
import io.evento.memory.InMemoryExecutor;
import java.time.Instant;
import java.time.LocalDate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The queries, folded from an account that has seen every kind of event. */
class ProjectionsTest {
    private final TestClock clock = new TestClock(Instant.parse("2026-03-02T10:00:00Z"));
    private InMemoryExecutor executor;
    private Evento evento;
    private String alice;
    private String bob;

    @BeforeEach
    void everyKindOfEvent() {
        executor = InMemoryExecutor.create();
        evento = Evento.builder(executor).register(Account.class).clock(clock).build();
        Bank bank = new Bank(evento);
        alice = bank.openAccount("customer-1", "Alice", AccountType.BUSINESS, "EUR", 1_000_00);
        bob = bank.openAccount("customer-2", "Bob", AccountType.SAVINGS, "EUR", 0);
        bank.deposit(alice, 250_00, "invoice 17");
        bank.withdraw(alice, 100_00, "cash");
        bank.transfer(alice, bob, 300_00, "loan");
        bank.transfer(bob, alice, 50_00, "first instalment");
        bank.changeDailyWithdrawalLimit(alice, 2_000_00);
        bank.changeOverdraftLimit(alice, 500_00);
        bank.freeze(alice, "audit");
        bank.unfreeze(alice, "audit passed");
        bank.freeze(alice, "second audit");
        bank.withdraw(bob, 250_00, "everything");
        bank.close(bob, "loan repaid elsewhere");
    }

    @AfterEach
    void closeStore() {
        executor.close();
    }

    @Test
    void the_balance_projection_handles_or_skips_every_event_and_sums_the_money() {
        // Its safety check is on: an event neither handled nor skipped would fail this load.
        Loaded<Balance> balance = evento.load(Balance.PROJECTION, alice).orElseThrow();
        assertThat(balance.state()).isEqualTo(new Balance(900_00, "EUR"));
        assertThat(balance.version()).isEqualTo(10);
        assertThat(balance.state()).hasToString("900.00 EUR");
    }

    @Test
    void the_details_projection_shows_owner_type_limits_status_and_activity() {
        assertThat(evento.load(AccountDetails.PROJECTION, alice).orElseThrow().state())
                .isEqualTo(new AccountDetails(
                        "customer-1",
                        "Alice",
                        AccountType.BUSINESS,
                        "EUR",
                        900_00,
                        AccountStatus.FROZEN,
                        2_000_00,
                        500_00,
                        4));
        AccountDetails bobs =
                evento.load(AccountDetails.PROJECTION, bob).orElseThrow().state();
        assertThat(bobs.status()).isEqualTo(AccountStatus.CLOSED);
        assertThat(bobs.balance()).isZero();
        assertThat(bobs.availableBalance()).isZero();
    }

    @Test
    void the_status_projection_keeps_the_last_reason() {
        assertThat(evento.load(AccountStatusView.PROJECTION, alice)
                        .orElseThrow()
                        .state())
                .isEqualTo(new AccountStatusView(AccountStatus.FROZEN, "second audit"));
        assertThat(evento.load(AccountStatusView.PROJECTION, bob).orElseThrow().state())
                .hasToString("CLOSED (loan repaid elsewhere)");
    }

    @Test
    void the_write_model_counts_todays_debits_and_the_available_money() {
        AccountState state =
                evento.load(AccountState.PROJECTION, alice).orElseThrow().state();
        assertThat(state.status()).isEqualTo(AccountStatus.FROZEN);
        assertThat(state.balance()).isEqualTo(900_00);
        assertThat(state.available()).isEqualTo(1_400_00);
        assertThat(state.debitedOn(LocalDate.of(2026, 3, 2))).isEqualTo(400_00);
        assertThat(state.debitedOn(LocalDate.of(2026, 3, 3))).isZero();
    }

    @Test
    void every_projection_agrees_on_the_balance() {
        for (String id : new String[] {alice, bob}) {
            long balance =
                    evento.load(Balance.PROJECTION, id).orElseThrow().state().cents();
            assertThat(evento.load(AccountDetails.PROJECTION, id)
                            .orElseThrow()
                            .state()
                            .balance())
                    .isEqualTo(balance);
            assertThat(evento.load(AccountState.PROJECTION, id)
                            .orElseThrow()
                            .state()
                            .balance())
                    .isEqualTo(balance);
        }
    }
}
