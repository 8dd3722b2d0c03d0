package io.evento.examples.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.Evento;
import io.evento.examples.bank.Account.AccountType;
import io.evento.examples.bank.BankRuleViolation.Rule;
import io.evento.sqlite.SqliteExecutor;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same bank on an SQLite file: what Main runs on. */
class BankOnSqliteTest {

    @Test
    void the_bank_works_on_sqlite_under_concurrency_and_survives_reopening_the_file(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("bank.db");
        String alice;
        String bob;
        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            Evento evento = Evento.builder(executor).register(Account.class).build();
            Bank bank = ConcurrencyTest.bankFor(evento);
            alice = bank.openAccount("customer-1", "Alice", AccountType.CHECKING, "EUR", 1_000_00);
            bob = bank.openAccount("customer-2", "Bob", AccountType.SAVINGS, "EUR", 0);
            bank.transfer(alice, bob, 200_00, "rent");
            assertThatThrownBy(() -> bank.withdraw(bob, 200_01, "cash"))
                    .isInstanceOfSatisfying(
                            BankRuleViolation.class, e -> assertThat(e.rule()).isEqualTo(Rule.INSUFFICIENT_FUNDS));

            // 64 racing deposits of 1..64 cents, and 64 racing withdrawals of 5.00 from Bob's 200.00
            // (within his daily limit): every deposit lands, no withdrawal overdraws.
            List<ConcurrencyTest.Outcome> deposits = ConcurrencyTest.race(64, i -> bank.deposit(alice, i + 1, "d"));
            assertThat(deposits).containsOnly(ConcurrencyTest.Outcome.DONE);
            bank.changeDailyWithdrawalLimit(bob, 10_000_00);
            List<ConcurrencyTest.Outcome> withdrawals = ConcurrencyTest.race(64, i -> bank.withdraw(bob, 5_00, "w"));
            assertThat(withdrawals.stream().filter(o -> o == ConcurrencyTest.Outcome.DONE))
                    .hasSize(40);
        }

        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            Evento evento = Evento.builder(executor).register(Account.class).build();
            assertThat(evento.load(Balance.PROJECTION, alice).orElseThrow().state())
                    .isEqualTo(new Balance(800_00 + 64 * 65 / 2, "EUR"));
            AccountDetails bobs =
                    evento.load(AccountDetails.PROJECTION, bob).orElseThrow().state();
            assertThat(bobs.balance()).isZero();
            assertThat(bobs.transactions()).isEqualTo(41);
            assertThat(evento.load(AccountState.PROJECTION, bob).orElseThrow().version())
                    .isEqualTo(1 + 1 + 1 + 40);
        }
    }
}
