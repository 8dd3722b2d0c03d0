package io.evento.examples.bank;

import io.evento.Event;
import io.evento.Projection;
import io.evento.examples.bank.Account.AccountClosed;
import io.evento.examples.bank.Account.AccountFrozen;
import io.evento.examples.bank.Account.AccountOpened;
import io.evento.examples.bank.Account.AccountType;
import io.evento.examples.bank.Account.AccountUnfrozen;
import io.evento.examples.bank.Account.DailyWithdrawalLimitChanged;
import io.evento.examples.bank.Account.MoneyDeposited;
import io.evento.examples.bank.Account.MoneyReceived;
import io.evento.examples.bank.Account.MoneyTransferred;
import io.evento.examples.bank.Account.MoneyWithdrawn;
import io.evento.examples.bank.Account.OverdraftLimitChanged;

/**
 * Everything a statement header shows about an account, folded with one exhaustive {@code switch}:
 * a new event type does not compile until this view decides what it means for it.
 *
 * @param ownerId the owner's id
 * @param ownerName the owner's name
 * @param accountType the kind of account
 * @param currency the account's currency
 * @param balance in cents
 * @param status active, frozen or closed
 * @param dailyWithdrawalLimit in cents
 * @param overdraftLimit in cents
 * @param transactions how many deposits, withdrawals and transfers the account has seen
 */
public record AccountDetails(
        String ownerId,
        String ownerName,
        AccountType accountType,
        String currency,
        long balance,
        AccountStatus status,
        long dailyWithdrawalLimit,
        long overdraftLimit,
        int transactions) {

    /** Folds an account's events into its details. */
    public static final Projection<AccountDetails> PROJECTION = Projection.builder(
                    "bank-account-details", Account.class, AccountDetails::beforeOpening)
            .on(Account.class, AccountDetails::evolve)
            .build();

    private static AccountDetails beforeOpening() {
        return new AccountDetails("", "", AccountType.CHECKING, "", 0, AccountStatus.ACTIVE, 0, 0, 0);
    }

    private static AccountDetails evolve(AccountDetails d, Event<Account> event) {
        return switch (event.data()) {
            case AccountOpened e ->
                new AccountDetails(
                        e.ownerId(),
                        e.ownerName(),
                        e.accountType(),
                        e.currency(),
                        e.initialBalance(),
                        AccountStatus.ACTIVE,
                        AccountState.DEFAULT_DAILY_WITHDRAWAL_LIMIT,
                        0,
                        0);
            case MoneyDeposited e -> d.transaction(e.amount());
            case MoneyReceived e -> d.transaction(e.amount());
            case MoneyWithdrawn e -> d.transaction(-e.amount());
            case MoneyTransferred e -> d.transaction(-e.amount());
            case AccountFrozen e -> d.withStatus(AccountStatus.FROZEN);
            case AccountUnfrozen e -> d.withStatus(AccountStatus.ACTIVE);
            case AccountClosed e -> d.withStatus(AccountStatus.CLOSED);
            case DailyWithdrawalLimitChanged e -> d.withLimits(e.newLimit(), d.overdraftLimit);
            case OverdraftLimitChanged e -> d.withLimits(d.dailyWithdrawalLimit, e.newLimit());
        };
    }

    /**
     * What may still be spent: the balance plus the overdraft limit.
     *
     * @return in cents
     */
    public long availableBalance() {
        return balance + overdraftLimit;
    }

    private AccountDetails transaction(long amount) {
        return new AccountDetails(
                ownerId,
                ownerName,
                accountType,
                currency,
                balance + amount,
                status,
                dailyWithdrawalLimit,
                overdraftLimit,
                transactions + 1);
    }

    private AccountDetails withStatus(AccountStatus newStatus) {
        return new AccountDetails(
                ownerId,
                ownerName,
                accountType,
                currency,
                balance,
                newStatus,
                dailyWithdrawalLimit,
                overdraftLimit,
                transactions);
    }

    private AccountDetails withLimits(long daily, long overdraft) {
        return new AccountDetails(
                ownerId, ownerName, accountType, currency, balance, status, daily, overdraft, transactions);
    }
}
