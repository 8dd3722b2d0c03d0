package io.evento.examples.bank;

import io.evento.Projection;
import io.evento.examples.bank.Account.AccountClosed;
import io.evento.examples.bank.Account.AccountFrozen;
import io.evento.examples.bank.Account.AccountOpened;
import io.evento.examples.bank.Account.AccountUnfrozen;
import io.evento.examples.bank.Account.DailyWithdrawalLimitChanged;
import io.evento.examples.bank.Account.MoneyDeposited;
import io.evento.examples.bank.Account.MoneyReceived;
import io.evento.examples.bank.Account.MoneyTransferred;
import io.evento.examples.bank.Account.MoneyWithdrawn;
import io.evento.examples.bank.Account.OverdraftLimitChanged;

/**
 * An account's balance: the smallest query, written with one handler per event.
 *
 * <p>Events that do not move money are skipped explicitly, and the safety check is on: a new event
 * type that is neither handled nor skipped makes loading fail, instead of a wrong balance.
 *
 * @param cents the balance in cents; negative when overdrawn
 * @param currency the account's currency
 */
public record Balance(long cents, String currency) {

    /** Folds an account's events into its balance. */
    public static final Projection<Balance> PROJECTION = Projection.builder(
                    "bank-balance", Account.class, () -> new Balance(0, ""))
            .on(
                    AccountOpened.class,
                    (b, e) -> new Balance(e.data().initialBalance(), e.data().currency()))
            .on(MoneyDeposited.class, (b, e) -> b.plus(e.data().amount()))
            .on(MoneyReceived.class, (b, e) -> b.plus(e.data().amount()))
            .on(MoneyWithdrawn.class, (b, e) -> b.plus(-e.data().amount()))
            .on(MoneyTransferred.class, (b, e) -> b.plus(-e.data().amount()))
            .skip(
                    AccountFrozen.class,
                    AccountUnfrozen.class,
                    AccountClosed.class,
                    DailyWithdrawalLimitChanged.class,
                    OverdraftLimitChanged.class)
            .safetyCheck()
            .build();

    private Balance plus(long amount) {
        return new Balance(cents + amount, currency);
    }

    @Override
    public String toString() {
        return Money.format(cents, currency);
    }
}
