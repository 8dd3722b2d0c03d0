package io.evento.examples.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.Event;
import io.evento.Evento;
import io.evento.Loaded;
import io.evento.PageRequest;
import io.evento.examples.bank.Account.AccountType;
import io.evento.examples.bank.Account.MoneyReceived;
import io.evento.examples.bank.Account.MoneyTransferred;
import io.evento.examples.bank.BankRuleViolation.Rule;
import io.evento.memory.InMemoryExecutor;
import io.evento.spi.ReadQuery;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The commands and their rules, on the in-memory executor. */
class BankTest {
    // 22:00 UTC, so two hours later it is another day.
    private final TestClock clock = new TestClock(Instant.parse("2026-03-02T22:00:00Z"));
    private InMemoryExecutor executor;
    private Evento evento;
    private Bank bank;

    @BeforeEach
    void openStore() {
        executor = InMemoryExecutor.create();
        evento = Evento.builder(executor).register(Account.class).clock(clock).build();
        bank = new Bank(evento);
    }

    @AfterEach
    void closeStore() {
        executor.close();
    }

    private String open(long initialBalance) {
        return bank.openAccount("customer-1", "Alice", AccountType.CHECKING, "EUR", initialBalance);
    }

    private long balance(String id) {
        return evento.load(Balance.PROJECTION, id).orElseThrow().state().cents();
    }

    private int version(String id) {
        return bank.load(id).version();
    }

    private AccountStatus status(String id) {
        return evento.load(AccountStatusView.PROJECTION, id)
                .orElseThrow()
                .state()
                .status();
    }

    /** Asserts the command breaks the rule and writes nothing to the account. */
    private void assertRejected(String id, Rule rule, ThrowingCallable command) {
        int before = version(id);
        assertThatThrownBy(command)
                .isInstanceOfSatisfying(
                        BankRuleViolation.class, e -> assertThat(e.rule()).isEqualTo(rule));
        assertThat(version(id)).as("version after a rejected command").isEqualTo(before);
    }

    @Nested
    class OpeningAnAccount {
        @Test
        void records_the_owner_type_currency_and_initial_balance() {
            String id = bank.openAccount("customer-7", "Bob", AccountType.SAVINGS, "CHF", 12_34);

            Loaded<AccountDetails> details =
                    evento.load(AccountDetails.PROJECTION, id).orElseThrow();
            assertThat(details.version()).isEqualTo(1);
            assertThat(details.state())
                    .isEqualTo(new AccountDetails(
                            "customer-7",
                            "Bob",
                            AccountType.SAVINGS,
                            "CHF",
                            12_34,
                            AccountStatus.ACTIVE,
                            AccountState.DEFAULT_DAILY_WITHDRAWAL_LIMIT,
                            0,
                            0));
        }

        @Test
        void requires_an_owner_a_type_and_a_three_letter_currency() {
            List<ThrowingCallable> invalid = List.of(
                    () -> bank.openAccount("", "Bob", AccountType.SAVINGS, "EUR", 0),
                    () -> bank.openAccount("customer-7", " ", AccountType.SAVINGS, "EUR", 0),
                    () -> bank.openAccount("customer-7", "Bob", null, "EUR", 0),
                    () -> bank.openAccount("customer-7", "Bob", AccountType.SAVINGS, "euro", 0),
                    () -> bank.openAccount("customer-7", "Bob", AccountType.SAVINGS, null, 0));
            for (ThrowingCallable command : invalid) {
                assertThatThrownBy(command)
                        .isInstanceOfSatisfying(
                                BankRuleViolation.class,
                                e -> assertThat(e.rule()).isEqualTo(Rule.INVALID_ACCOUNT_DETAILS));
            }
            assertThat(evento.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                    .isEmpty();
        }

        @Test
        void rejects_a_negative_initial_balance() {
            assertThatThrownBy(() -> open(-1))
                    .isInstanceOf(BankRuleViolation.class)
                    .hasMessageContaining("-0.01 EUR");
        }
    }

    @Nested
    class Deposits {
        @Test
        void increase_the_balance() {
            String id = open(100_00);
            bank.deposit(id, 50_25, "cheque");
            assertThat(balance(id)).isEqualTo(150_25);
            assertThat(version(id)).isEqualTo(2);
        }

        @Test
        void of_zero_or_a_negative_amount_are_rejected_like_withdrawals_and_transfers() {
            String id = open(100_00);
            String other = open(0);
            for (long amount : new long[] {0, -1, Long.MIN_VALUE}) {
                assertRejected(id, Rule.INVALID_AMOUNT, () -> bank.deposit(id, amount, "x"));
                assertRejected(id, Rule.INVALID_AMOUNT, () -> bank.withdraw(id, amount, "x"));
                assertRejected(id, Rule.INVALID_AMOUNT, () -> bank.transfer(id, other, amount, "x"));
            }
            assertThat(version(other)).isEqualTo(1);
        }
    }

    @Nested
    class Withdrawals {
        @Test
        void decrease_the_balance() {
            String id = open(100_00);
            bank.withdraw(id, 30_00, "cash");
            assertThat(balance(id)).isEqualTo(70_00);
        }

        @Test
        void above_the_balance_are_rejected_as_insufficient_funds_with_the_amounts_in_the_message() {
            String id = open(100_00);
            assertThatThrownBy(() -> bank.withdraw(id, 100_01, "cash"))
                    .isInstanceOfSatisfying(
                            BankRuleViolation.class, e -> assertThat(e.rule()).isEqualTo(Rule.INSUFFICIENT_FUNDS))
                    .hasMessageContaining("requested 100.01 EUR")
                    .hasMessageContaining("available 100.00 EUR");
            assertThat(balance(id)).isEqualTo(100_00);
        }

        @Test
        void may_use_the_overdraft_down_to_minus_the_limit_and_not_a_cent_more() {
            String id = open(100_00);
            bank.changeOverdraftLimit(id, 50_00);
            assertRejected(id, Rule.INSUFFICIENT_FUNDS, () -> bank.withdraw(id, 150_01, "cash"));
            bank.withdraw(id, 150_00, "cash");
            assertThat(balance(id)).isEqualTo(-50_00);
            assertRejected(id, Rule.INSUFFICIENT_FUNDS, () -> bank.withdraw(id, 1, "cash"));
        }

        @Test
        void are_limited_per_utc_day_together_with_transfers_out() {
            String id = open(5_000_00);
            String other = open(0);
            bank.withdraw(id, 600_00, "cash");
            bank.transfer(id, other, 300_00, "rent");
            bank.withdraw(id, 100_00, "cash"); // exactly the limit of 1,000.00

            assertThatThrownBy(() -> bank.withdraw(id, 1, "cash"))
                    .isInstanceOfSatisfying(
                            BankRuleViolation.class, e -> assertThat(e.rule()).isEqualTo(Rule.DAILY_LIMIT_EXCEEDED))
                    .hasMessageContaining("already 1,000.00 EUR today")
                    .hasMessageContaining("limit 1,000.00 EUR");
            assertRejected(id, Rule.DAILY_LIMIT_EXCEEDED, () -> bank.transfer(id, other, 1, "rent"));
            // Money coming in does not raise the limit.
            bank.deposit(id, 100_00, "refund");
            assertRejected(id, Rule.DAILY_LIMIT_EXCEEDED, () -> bank.withdraw(id, 1, "cash"));
        }

        @Test
        void start_a_new_daily_allowance_at_midnight_utc() {
            String id = open(5_000_00);
            bank.withdraw(id, 1_000_00, "cash");
            assertRejected(id, Rule.DAILY_LIMIT_EXCEEDED, () -> bank.withdraw(id, 1_00, "cash"));

            clock.advance(Duration.ofHours(2)); // 00:00 UTC, the next day
            bank.withdraw(id, 1_000_00, "cash");
            assertThat(balance(id)).isEqualTo(3_000_00);
            assertThat(bank.load(id)
                            .state()
                            .debitedOn(clock.instant().atZone(clock.getZone()).toLocalDate()))
                    .isEqualTo(1_000_00);
        }

        @Test
        void may_go_further_once_the_daily_limit_is_raised() {
            String id = open(5_000_00);
            bank.withdraw(id, 1_000_00, "cash");
            bank.changeDailyWithdrawalLimit(id, 1_500_00);
            bank.withdraw(id, 500_00, "cash");
            assertRejected(id, Rule.DAILY_LIMIT_EXCEEDED, () -> bank.withdraw(id, 1, "cash"));
        }

        @Test
        void are_blocked_entirely_by_a_daily_limit_of_zero() {
            String id = open(100_00);
            bank.changeDailyWithdrawalLimit(id, 0);
            assertRejected(id, Rule.DAILY_LIMIT_EXCEEDED, () -> bank.withdraw(id, 1, "cash"));
        }
    }

    @Nested
    class Transfers {
        @Test
        void debit_the_sender_and_credit_the_receiver_under_one_transaction_id() {
            String alice = open(500_00);
            String bob = bank.openAccount("customer-2", "Bob", AccountType.SAVINGS, "EUR", 10_00);

            String transactionId = bank.transfer(alice, bob, 200_00, "rent");

            assertThat(balance(alice)).isEqualTo(300_00);
            assertThat(balance(bob)).isEqualTo(210_00);
            List<Object> payloads = evento.read(ReadQuery.all(PageRequest.forward(10))).nodes().stream()
                    .<Object>map(Event::data)
                    .toList();
            assertThat(payloads)
                    .contains(
                            new MoneyTransferred(200_00, bob, transactionId, "rent"),
                            new MoneyReceived(200_00, alice, transactionId, "rent"));
        }

        @Test
        void the_sender_cannot_cover_write_nothing_on_either_account() {
            String alice = open(100_00);
            String bob = open(0);
            assertRejected(alice, Rule.INSUFFICIENT_FUNDS, () -> bank.transfer(alice, bob, 100_01, "rent"));
            assertThat(version(bob)).isEqualTo(1);
        }

        @Test
        void to_a_closed_unknown_or_foreign_currency_account_are_refused_before_the_sender_is_debited() {
            String alice = open(100_00);
            String closed = open(0);
            bank.close(closed, "moved away");
            String dollars = bank.openAccount("customer-3", "Carol", AccountType.BUSINESS, "USD", 0);

            assertRejected(alice, Rule.ACCOUNT_CLOSED, () -> bank.transfer(alice, closed, 10_00, "x"));
            assertRejected(alice, Rule.ACCOUNT_NOT_FOUND, () -> bank.transfer(alice, "no-such-account", 10_00, "x"));
            assertRejected(alice, Rule.CURRENCY_MISMATCH, () -> bank.transfer(alice, dollars, 10_00, "x"));
            assertThat(balance(alice)).isEqualTo(100_00);
        }

        @Test
        void from_an_account_to_itself_are_rejected() {
            String alice = open(100_00);
            assertRejected(alice, Rule.SAME_ACCOUNT, () -> bank.transfer(alice, alice, 10_00, "x"));
        }

        @Test
        void still_reach_a_frozen_account() {
            String alice = open(100_00);
            String bob = open(0);
            bank.freeze(bob, "investigation");
            bank.transfer(alice, bob, 40_00, "refund");
            assertThat(balance(bob)).isEqualTo(40_00);
            assertThat(status(bob)).isEqualTo(AccountStatus.FROZEN);
        }
    }

    @Nested
    class FreezingAndUnfreezing {
        @Test
        void a_frozen_account_rejects_deposits_withdrawals_transfers_out_and_closing() {
            String id = open(100_00);
            String other = open(0);
            bank.freeze(id, "card stolen");

            assertRejected(id, Rule.ACCOUNT_FROZEN, () -> bank.deposit(id, 1_00, "x"));
            assertRejected(id, Rule.ACCOUNT_FROZEN, () -> bank.withdraw(id, 1_00, "x"));
            assertRejected(id, Rule.ACCOUNT_FROZEN, () -> bank.transfer(id, other, 1_00, "x"));
            assertRejected(id, Rule.ACCOUNT_FROZEN, () -> bank.close(id, "x"));
            assertThat(balance(other)).isZero();
        }

        @Test
        void limits_can_still_change_while_frozen() {
            String id = open(100_00);
            bank.freeze(id, "card stolen");
            bank.changeDailyWithdrawalLimit(id, 10_00);
            bank.changeOverdraftLimit(id, 10_00);
            AccountDetails details =
                    evento.load(AccountDetails.PROJECTION, id).orElseThrow().state();
            assertThat(details.dailyWithdrawalLimit()).isEqualTo(10_00);
            assertThat(details.overdraftLimit()).isEqualTo(10_00);
        }

        @Test
        void unfreezing_allows_withdrawals_again() {
            String id = open(100_00);
            bank.freeze(id, "card stolen");
            bank.unfreeze(id, "new card");
            bank.withdraw(id, 10_00, "cash");
            assertThat(balance(id)).isEqualTo(90_00);
            assertThat(evento.load(AccountStatusView.PROJECTION, id)
                            .orElseThrow()
                            .state())
                    .isEqualTo(new AccountStatusView(AccountStatus.ACTIVE, "new card"));
        }

        @Test
        void freezing_a_frozen_account_or_unfreezing_an_active_one_is_rejected() {
            String id = open(100_00);
            assertRejected(id, Rule.ACCOUNT_NOT_FROZEN, () -> bank.unfreeze(id, "x"));
            bank.freeze(id, "card stolen");
            assertThatThrownBy(() -> bank.freeze(id, "again"))
                    .isInstanceOf(BankRuleViolation.class)
                    .hasMessage("the account is already frozen");
        }
    }

    @Nested
    class Closing {
        @Test
        void works_at_a_balance_of_exactly_zero() {
            String id = open(100_00);
            bank.withdraw(id, 100_00, "everything");
            bank.close(id, "moving abroad");
            assertThat(evento.load(AccountStatusView.PROJECTION, id)
                            .orElseThrow()
                            .state())
                    .isEqualTo(new AccountStatusView(AccountStatus.CLOSED, "moving abroad"));
        }

        @Test
        void is_rejected_with_money_left_or_owed() {
            String id = open(10_00);
            assertThatThrownBy(() -> bank.close(id, "x"))
                    .isInstanceOfSatisfying(
                            BankRuleViolation.class, e -> assertThat(e.rule()).isEqualTo(Rule.BALANCE_NOT_ZERO))
                    .hasMessageContaining("10.00 EUR");

            bank.changeOverdraftLimit(id, 20_00);
            bank.withdraw(id, 25_00, "cash");
            assertRejected(id, Rule.BALANCE_NOT_ZERO, () -> bank.close(id, "x"));
        }

        @Test
        void a_closed_account_rejects_every_command() {
            String id = open(0);
            String other = open(100_00);
            bank.close(id, "moving abroad");

            List<ThrowingCallable> commands = List.of(
                    () -> bank.deposit(id, 1_00, "x"),
                    () -> bank.withdraw(id, 1_00, "x"),
                    () -> bank.transfer(id, other, 1_00, "x"),
                    () -> bank.transfer(other, id, 1_00, "x"),
                    () -> bank.freeze(id, "x"),
                    () -> bank.unfreeze(id, "x"),
                    () -> bank.close(id, "x"),
                    () -> bank.changeDailyWithdrawalLimit(id, 1_00),
                    () -> bank.changeOverdraftLimit(id, 1_00));
            for (ThrowingCallable command : commands) {
                assertRejected(id, Rule.ACCOUNT_CLOSED, command);
            }
            assertThat(balance(other)).isEqualTo(100_00);
        }
    }

    @Nested
    class Limits {
        @Test
        void must_not_be_negative() {
            String id = open(0);
            assertRejected(id, Rule.INVALID_LIMIT, () -> bank.changeDailyWithdrawalLimit(id, -1));
            assertRejected(id, Rule.INVALID_LIMIT, () -> bank.changeOverdraftLimit(id, -1));
        }

        @Test
        void the_overdraft_limit_cannot_drop_below_the_current_overdraft() {
            String id = open(0);
            bank.changeOverdraftLimit(id, 100_00);
            bank.withdraw(id, 60_00, "cash");
            assertThatThrownBy(() -> bank.changeOverdraftLimit(id, 59_99))
                    .isInstanceOfSatisfying(
                            BankRuleViolation.class, e -> assertThat(e.rule()).isEqualTo(Rule.INVALID_LIMIT))
                    .hasMessageContaining("overdrawn by 60.00 EUR");
            bank.changeOverdraftLimit(id, 60_00);
            assertThat(bank.load(id).state().overdraftLimit()).isEqualTo(60_00);
        }
    }

    @Test
    void every_command_on_an_unknown_account_is_rejected_as_not_found() {
        String known = open(100_00);
        List<ThrowingCallable> commands = List.of(
                () -> bank.deposit("nope", 1_00, "x"),
                () -> bank.withdraw("nope", 1_00, "x"),
                () -> bank.transfer("nope", known, 1_00, "x"),
                () -> bank.freeze("nope", "x"),
                () -> bank.unfreeze("nope", "x"),
                () -> bank.close("nope", "x"),
                () -> bank.changeDailyWithdrawalLimit("nope", 1_00),
                () -> bank.changeOverdraftLimit("nope", 1_00));
        for (ThrowingCallable command : commands) {
            assertThatThrownBy(command)
                    .isInstanceOfSatisfying(
                            BankRuleViolation.class, e -> assertThat(e.rule()).isEqualTo(Rule.ACCOUNT_NOT_FOUND))
                    .hasMessage("no account has the id nope");
        }
        assertThat(version(known)).isEqualTo(1);
        assertThat(evento.load(AccountState.PROJECTION, "nope")).isEmpty();
    }
}
