package io.evento.examples.bank;

import static io.evento.examples.bank.BankRuleViolation.Rule.ACCOUNT_NOT_FOUND;
import static io.evento.examples.bank.BankRuleViolation.Rule.SAME_ACCOUNT;

import io.evento.ConcurrencyException;
import io.evento.Evento;
import io.evento.Loaded;
import io.evento.examples.bank.Account.AccountType;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Function;

/**
 * The bank's commands. Each one loads the account's {@link AccountState}, lets the state decide
 * (check the rules, pick the event) and commits that event with the version it loaded.
 *
 * <p><b>Concurrency.</b> Committing with the loaded version ({@link Loaded#append()}) means the
 * commit fails with {@link ConcurrencyException} if anything was committed to the account since it
 * was loaded. The rules were then checked against stale state, so the command starts over: load
 * again, decide again, commit again, a bounded number of times. A rule that passed the first time
 * may fail the second (the other commit spent the money); that is the point. Rule violations are
 * never retried: the same state gives the same answer.
 *
 * <p><b>Transfers</b> are two commits, one per account, because a commit writes to one aggregate.
 * This example does them one after the other and does not run a saga: if the process dies, or the
 * receiving account is closed, between debiting the sender and crediting the receiver, the money has
 * left one account and not reached the other. A real bank would credit the receiver from a
 * subscription on {@code MoneyTransferred} (retried until it succeeds, deduplicated by transaction
 * id) and refund the sender when the credit is refused.
 *
 * <p>Thread-safe: it holds no state of its own.
 */
public final class Bank {
    /** How often a command is attempted when it keeps losing races to other commits. */
    public static final int DEFAULT_MAX_ATTEMPTS = 3;

    private final Evento evento;
    private final int maxAttempts;

    /**
     * A bank trying each command up to {@value #DEFAULT_MAX_ATTEMPTS} times.
     *
     * @param evento an Evento with {@link Account} registered; its clock tells what day it is for
     *     the daily withdrawal limit, so "today" agrees with the event timestamps
     */
    public Bank(Evento evento) {
        this(evento, DEFAULT_MAX_ATTEMPTS);
    }

    /**
     * A bank with its own retry bound.
     *
     * @param evento an Evento with {@link Account} registered
     * @param maxAttempts how often a command is attempted in total when it meets concurrent commits
     */
    public Bank(Evento evento, int maxAttempts) {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be at least 1, was " + maxAttempts);
        }
        this.evento = Objects.requireNonNull(evento, "evento");
        this.maxAttempts = maxAttempts;
    }

    /**
     * Opens an account.
     *
     * @param ownerId the owner's id
     * @param ownerName the owner's name
     * @param type the kind of account
     * @param currency a three-letter currency code such as {@code EUR}
     * @param initialBalance in cents, 0 or more
     * @return the new account's id
     * @throws BankRuleViolation if a detail is missing or malformed
     */
    public String openAccount(
            String ownerId, String ownerName, AccountType type, String currency, long initialBalance) {
        // A new aggregate cannot conflict: create() commits at version 0 under a fresh id.
        return evento.create()
                .event(AccountState.open(ownerId, ownerName, type, currency, initialBalance))
                .commit();
    }

    /**
     * Pays money in at the counter.
     *
     * @param accountId the account
     * @param amount in cents, positive
     * @param description free text for the statement
     * @return the transaction id
     * @throws BankRuleViolation if the account is unknown, frozen or closed, or the amount not positive
     */
    public String deposit(String accountId, long amount, String description) {
        String transactionId = newTransactionId();
        execute(accountId, account -> account.deposit(amount, transactionId, description));
        return transactionId;
    }

    /**
     * Pays money out.
     *
     * @param accountId the account
     * @param amount in cents, positive
     * @param description free text for the statement
     * @return the transaction id
     * @throws BankRuleViolation if the account is unknown, frozen or closed, the amount not positive,
     *     or more than the funds (balance + overdraft) or today's remaining limit
     */
    public String withdraw(String accountId, long amount, String description) {
        String transactionId = newTransactionId();
        execute(accountId, account -> account.withdraw(amount, transactionId, description, today()));
        return transactionId;
    }

    /**
     * Moves money from one account to another: a debit commit on the sender, then a credit commit
     * on the receiver (see the class comment for what this leaves out).
     *
     * @param fromAccountId the sender
     * @param toAccountId the receiver
     * @param amount in cents, positive
     * @param description free text for both statements
     * @return the transaction id, the same in both events
     * @throws BankRuleViolation if either account is unknown or closed, the sender is frozen, the
     *     currencies differ, or the sender's funds or daily limit do not cover the amount
     */
    public String transfer(String fromAccountId, String toAccountId, long amount, String description) {
        if (fromAccountId.equals(toAccountId)) {
            throw new BankRuleViolation(SAME_ACCOUNT, "cannot transfer from an account to itself");
        }
        String transactionId = newTransactionId();
        // Ask the receiver first, without writing, so the common refusals (unknown, closed, another
        // currency) never debit the sender.
        String fromCurrency = load(fromAccountId).state().currency();
        AccountState receiver = load(toAccountId).state();
        receiver.receive(amount, fromAccountId, fromCurrency, transactionId, description);

        execute(
                fromAccountId,
                sender ->
                        sender.transfer(amount, toAccountId, receiver.currency(), transactionId, description, today()));
        execute(
                toAccountId,
                account -> account.receive(amount, fromAccountId, fromCurrency, transactionId, description));
        return transactionId;
    }

    /**
     * Freezes an account: no deposits, withdrawals or transfers out until it is unfrozen.
     *
     * @param accountId the account
     * @param reason why
     * @throws BankRuleViolation if the account is unknown, closed or already frozen
     */
    public void freeze(String accountId, String reason) {
        execute(accountId, account -> account.freeze(reason));
    }

    /**
     * Unfreezes a frozen account.
     *
     * @param accountId the account
     * @param reason why
     * @throws BankRuleViolation if the account is unknown, closed or not frozen
     */
    public void unfreeze(String accountId, String reason) {
        execute(accountId, account -> account.unfreeze(reason));
    }

    /**
     * Closes an account for good.
     *
     * @param accountId the account
     * @param reason why
     * @throws BankRuleViolation if the account is unknown, frozen or closed, or its balance is not zero
     */
    public void close(String accountId, String reason) {
        execute(accountId, account -> account.close(reason));
    }

    /**
     * Sets how much may leave the account per UTC day.
     *
     * @param accountId the account
     * @param newLimit in cents, 0 or more
     * @throws BankRuleViolation if the account is unknown or closed, or the limit negative
     */
    public void changeDailyWithdrawalLimit(String accountId, long newLimit) {
        execute(accountId, account -> account.changeDailyWithdrawalLimit(newLimit));
    }

    /**
     * Sets how far below zero the balance may go.
     *
     * @param accountId the account
     * @param newLimit in cents, 0 or more, at least the current overdraft
     * @throws BankRuleViolation if the account is unknown or closed, or the limit is invalid
     */
    public void changeOverdraftLimit(String accountId, long newLimit) {
        execute(accountId, account -> account.changeOverdraftLimit(newLimit));
    }

    /**
     * Loads the state the commands decide on.
     *
     * @param accountId the account
     * @return the state with the version it was loaded at
     * @throws BankRuleViolation if no account has this id
     */
    public Loaded<AccountState> load(String accountId) {
        return evento.load(AccountState.PROJECTION, accountId)
                .orElseThrow(() -> new BankRuleViolation(ACCOUNT_NOT_FOUND, "no account has the id " + accountId));
    }

    /**
     * The retry loop behind every command on an existing account: load, decide, commit with the
     * loaded version; on a conflict, start over with fresh state.
     *
     * @param accountId the account
     * @param decision checks the rules against the state and returns the event to commit, or throws
     *     {@link BankRuleViolation}
     * @param <E> the event type
     * @return the committed event
     * @throws ConcurrencyException if every attempt lost a race
     */
    public <E extends Account> E execute(String accountId, Function<AccountState, E> decision) {
        for (int attempt = 1; ; attempt++) {
            Loaded<AccountState> account = load(accountId);
            E event = decision.apply(account.state());
            try {
                account.append().event(event).commit();
                return event;
            } catch (ConcurrencyException e) {
                if (attempt >= maxAttempts) {
                    throw e;
                }
            }
        }
    }

    private LocalDate today() {
        return LocalDate.ofInstant(evento.clock().instant(), ZoneOffset.UTC);
    }

    private static String newTransactionId() {
        return UUID.randomUUID().toString();
    }
}
