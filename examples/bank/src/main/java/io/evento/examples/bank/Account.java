package io.evento.examples.bank;

import io.evento.Aggregate;

/**
 * The events of a bank account. Amounts are in minor units (cents) of the account's currency, as
 * {@code long}: money is never a floating-point number.
 *
 * <p>The aggregate type {@code "bank/Account"} and the record names are stored with every event, so
 * they must stay stable; rename a record only together with {@link io.evento.EventName}.
 */
@Aggregate("bank/Account")
public sealed interface Account {

    /** The kind of account; it does not change once opened. */
    enum AccountType {
        CHECKING,
        SAVINGS,
        BUSINESS
    }

    /**
     * A new account was opened.
     *
     * @param ownerId the owner's id in the customer system
     * @param ownerName the owner's name
     * @param accountType the kind of account
     * @param currency an ISO 4217 code such as {@code EUR}
     * @param initialBalance the opening balance, in cents
     */
    record AccountOpened(
            String ownerId, String ownerName, AccountType accountType, String currency, long initialBalance)
            implements Account {}

    /**
     * Cash or a cheque was paid in at the counter.
     *
     * @param amount in cents, positive
     * @param transactionId identifies the transaction across systems
     * @param description free text for the statement
     */
    record MoneyDeposited(long amount, String transactionId, String description) implements Account {}

    /**
     * Money was paid out.
     *
     * @param amount in cents, positive
     * @param transactionId identifies the transaction across systems
     * @param description free text for the statement
     */
    record MoneyWithdrawn(long amount, String transactionId, String description) implements Account {}

    /**
     * Money left this account for another one (the sending side of a transfer).
     *
     * @param amount in cents, positive
     * @param toAccountId the receiving account
     * @param transactionId shared with the matching {@link MoneyReceived}
     * @param description free text for the statement
     */
    record MoneyTransferred(long amount, String toAccountId, String transactionId, String description)
            implements Account {}

    /**
     * Money arrived from another account (the receiving side of a transfer).
     *
     * @param amount in cents, positive
     * @param fromAccountId the sending account
     * @param transactionId shared with the matching {@link MoneyTransferred}
     * @param description free text for the statement
     */
    record MoneyReceived(long amount, String fromAccountId, String transactionId, String description)
            implements Account {}

    /**
     * The account was frozen, for example on suspicion of fraud.
     *
     * @param reason why
     */
    record AccountFrozen(String reason) implements Account {}

    /**
     * A frozen account became active again.
     *
     * @param reason why
     */
    record AccountUnfrozen(String reason) implements Account {}

    /**
     * The account was closed for good.
     *
     * @param reason why
     */
    record AccountClosed(String reason) implements Account {}

    /**
     * The most that may leave the account per UTC day (withdrawals and transfers out) changed.
     *
     * @param newLimit in cents, 0 or more
     */
    record DailyWithdrawalLimitChanged(long newLimit) implements Account {}

    /**
     * How far below zero the balance may go changed.
     *
     * @param newLimit in cents, 0 or more
     */
    record OverdraftLimitChanged(long newLimit) implements Account {}
}
