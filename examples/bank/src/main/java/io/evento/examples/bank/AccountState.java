package io.evento.examples.bank;

import static io.evento.examples.bank.BankRuleViolation.Rule.ACCOUNT_CLOSED;
import static io.evento.examples.bank.BankRuleViolation.Rule.ACCOUNT_FROZEN;
import static io.evento.examples.bank.BankRuleViolation.Rule.ACCOUNT_NOT_FROZEN;
import static io.evento.examples.bank.BankRuleViolation.Rule.BALANCE_NOT_ZERO;
import static io.evento.examples.bank.BankRuleViolation.Rule.CURRENCY_MISMATCH;
import static io.evento.examples.bank.BankRuleViolation.Rule.DAILY_LIMIT_EXCEEDED;
import static io.evento.examples.bank.BankRuleViolation.Rule.INSUFFICIENT_FUNDS;
import static io.evento.examples.bank.BankRuleViolation.Rule.INVALID_ACCOUNT_DETAILS;
import static io.evento.examples.bank.BankRuleViolation.Rule.INVALID_AMOUNT;
import static io.evento.examples.bank.BankRuleViolation.Rule.INVALID_LIMIT;

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
import java.time.LocalDate;
import java.time.ZoneOffset;

/**
 * What the commands need to know about an account to decide (the write model), and the decisions
 * themselves.
 *
 * <p>{@link #PROJECTION} folds the events with one exhaustive {@code switch}: adding an event to
 * {@link Account} does not compile until this fold handles it, which is what a write model needs.
 * Each decision method checks the rules against this state and returns the event to commit, or
 * throws {@link BankRuleViolation}; none of them writes anything, so {@link Bank} can run them
 * again on fresh state after a concurrent commit.
 *
 * @param status active, frozen or closed
 * @param currency the account's currency
 * @param balance in cents; negative when overdrawn
 * @param overdraftLimit how far below zero the balance may go, in cents
 * @param dailyWithdrawalLimit the most that may leave the account per UTC day, in cents
 * @param lastDebitDay the UTC day of the last withdrawal or transfer out ({@link LocalDate#EPOCH}
 *     before the first)
 * @param debitedThatDay the sum of the withdrawals and transfers out on {@code lastDebitDay}
 */
public record AccountState(
        AccountStatus status,
        String currency,
        long balance,
        long overdraftLimit,
        long dailyWithdrawalLimit,
        LocalDate lastDebitDay,
        long debitedThatDay) {

    /** The daily withdrawal limit of a new account: 1,000.00. */
    public static final long DEFAULT_DAILY_WITHDRAWAL_LIMIT = 1_000_00;

    /** Folds an account's events into the state the commands check. */
    public static final Projection<AccountState> PROJECTION = Projection.builder(
                    "bank-account-state", Account.class, AccountState::beforeOpening)
            .on(Account.class, AccountState::evolve)
            .build();

    // Never seen by a command: an account's first event is always AccountOpened.
    private static AccountState beforeOpening() {
        return new AccountState(AccountStatus.ACTIVE, "", 0, 0, 0, LocalDate.EPOCH, 0);
    }

    private static AccountState evolve(AccountState s, Event<Account> event) {
        return switch (event.data()) {
            case AccountOpened e ->
                new AccountState(
                        AccountStatus.ACTIVE,
                        e.currency(),
                        e.initialBalance(),
                        0,
                        DEFAULT_DAILY_WITHDRAWAL_LIMIT,
                        LocalDate.EPOCH,
                        0);
            case MoneyDeposited e -> s.withBalance(s.balance + e.amount());
            case MoneyReceived e -> s.withBalance(s.balance + e.amount());
            case MoneyWithdrawn e -> s.debit(e.amount(), utcDay(event));
            case MoneyTransferred e -> s.debit(e.amount(), utcDay(event));
            case AccountFrozen e -> s.withStatus(AccountStatus.FROZEN);
            case AccountUnfrozen e -> s.withStatus(AccountStatus.ACTIVE);
            case AccountClosed e -> s.withStatus(AccountStatus.CLOSED);
            case DailyWithdrawalLimitChanged e -> s.withLimits(e.newLimit(), s.overdraftLimit);
            case OverdraftLimitChanged e -> s.withLimits(s.dailyWithdrawalLimit, e.newLimit());
        };
    }

    /**
     * The money that may still leave the account: balance plus overdraft limit.
     *
     * @return in cents
     */
    public long available() {
        return balance + overdraftLimit;
    }

    /**
     * The sum of the withdrawals and transfers out on a UTC day, if that day is the last one with
     * any (the only day the daily limit asks about is today).
     *
     * @param day a UTC day
     * @return in cents
     */
    public long debitedOn(LocalDate day) {
        return day.equals(lastDebitDay) ? debitedThatDay : 0;
    }

    // ---- Decisions: check the rules, return the event to commit. ----

    /**
     * Decides to open an account.
     *
     * @param ownerId the owner's id
     * @param ownerName the owner's name
     * @param type the kind of account
     * @param currency a three-letter upper-case currency code
     * @param initialBalance in cents, 0 or more
     * @return the event to commit
     * @throws BankRuleViolation if a detail is missing or malformed, or the balance is negative
     */
    public static AccountOpened open(
            String ownerId, String ownerName, AccountType type, String currency, long initialBalance) {
        if (ownerId == null || ownerId.isBlank()) {
            throw new BankRuleViolation(INVALID_ACCOUNT_DETAILS, "an account needs an owner id");
        }
        if (ownerName == null || ownerName.isBlank()) {
            throw new BankRuleViolation(INVALID_ACCOUNT_DETAILS, "an account needs an owner name");
        }
        if (type == null) {
            throw new BankRuleViolation(INVALID_ACCOUNT_DETAILS, "an account needs a type");
        }
        if (currency == null || !currency.matches("[A-Z]{3}")) {
            throw new BankRuleViolation(
                    INVALID_ACCOUNT_DETAILS, "currency must be a three-letter code such as EUR, was " + currency);
        }
        if (initialBalance < 0) {
            throw new BankRuleViolation(
                    INVALID_AMOUNT, "the initial balance must not be negative, was " + money(initialBalance, currency));
        }
        return new AccountOpened(ownerId, ownerName, type, currency, initialBalance);
    }

    /**
     * Decides a deposit at the counter. A frozen account takes no deposits, as in Evento's example:
     * freezing stops all activity the owner starts; money sent by others still arrives ({@link
     * #receive}).
     *
     * @param amount in cents
     * @param transactionId the transaction's id
     * @param description free text
     * @return the event to commit
     * @throws BankRuleViolation if the account is not active or the amount is not positive
     */
    public MoneyDeposited deposit(long amount, String transactionId, String description) {
        requireActive("deposit to");
        requirePositive(amount);
        return new MoneyDeposited(amount, transactionId, description);
    }

    /**
     * Decides a withdrawal.
     *
     * @param amount in cents
     * @param transactionId the transaction's id
     * @param description free text
     * @param today the current UTC day, for the daily limit
     * @return the event to commit
     * @throws BankRuleViolation if the account is not active, the amount is not positive or exceeds
     *     the funds or the daily limit
     */
    public MoneyWithdrawn withdraw(long amount, String transactionId, String description, LocalDate today) {
        requireDebitAllowed("withdraw from", amount, today);
        return new MoneyWithdrawn(amount, transactionId, description);
    }

    /**
     * Decides the sending side of a transfer; the same rules as a withdrawal, plus matching
     * currencies.
     *
     * @param amount in cents
     * @param toAccountId the receiving account
     * @param toCurrency the receiving account's currency
     * @param transactionId the transaction's id
     * @param description free text
     * @param today the current UTC day, for the daily limit
     * @return the event to commit
     * @throws BankRuleViolation as {@link #withdraw}, or if the currencies differ
     */
    public MoneyTransferred transfer(
            long amount,
            String toAccountId,
            String toCurrency,
            String transactionId,
            String description,
            LocalDate today) {
        requireDebitAllowed("transfer from", amount, today);
        requireCurrency(toCurrency);
        return new MoneyTransferred(amount, toAccountId, transactionId, description);
    }

    /**
     * Decides the receiving side of a transfer. Frozen accounts still receive (see {@link
     * #deposit}); closed ones do not.
     *
     * @param amount in cents
     * @param fromAccountId the sending account
     * @param fromCurrency the sending account's currency
     * @param transactionId the transaction's id
     * @param description free text
     * @return the event to commit
     * @throws BankRuleViolation if the account is closed, the amount is not positive or the
     *     currencies differ
     */
    public MoneyReceived receive(
            long amount, String fromAccountId, String fromCurrency, String transactionId, String description) {
        requireNotClosed("transfer to");
        requirePositive(amount);
        requireCurrency(fromCurrency);
        return new MoneyReceived(amount, fromAccountId, transactionId, description);
    }

    /**
     * Decides to freeze the account.
     *
     * @param reason why
     * @return the event to commit
     * @throws BankRuleViolation if the account is closed or already frozen
     */
    public AccountFrozen freeze(String reason) {
        requireNotClosed("freeze");
        if (status == AccountStatus.FROZEN) {
            throw new BankRuleViolation(ACCOUNT_FROZEN, "the account is already frozen");
        }
        return new AccountFrozen(reason);
    }

    /**
     * Decides to unfreeze the account.
     *
     * @param reason why
     * @return the event to commit
     * @throws BankRuleViolation if the account is closed or not frozen
     */
    public AccountUnfrozen unfreeze(String reason) {
        requireNotClosed("unfreeze");
        if (status != AccountStatus.FROZEN) {
            throw new BankRuleViolation(ACCOUNT_NOT_FROZEN, "cannot unfreeze an account that is not frozen");
        }
        return new AccountUnfrozen(reason);
    }

    /**
     * Decides to close the account: only an active account at a balance of exactly zero closes, so
     * no money is left behind and no debt is forgotten.
     *
     * @param reason why
     * @return the event to commit
     * @throws BankRuleViolation if the account is not active or its balance is not zero
     */
    public AccountClosed close(String reason) {
        requireActive("close");
        if (balance != 0) {
            throw new BankRuleViolation(
                    BALANCE_NOT_ZERO,
                    "cannot close an account with a balance of " + money(balance) + "; it must be exactly zero");
        }
        return new AccountClosed(reason);
    }

    /**
     * Decides a new daily withdrawal limit. Allowed while frozen: limits are the bank's settings,
     * not activity.
     *
     * @param newLimit in cents, 0 or more
     * @return the event to commit
     * @throws BankRuleViolation if the account is closed or the limit negative
     */
    public DailyWithdrawalLimitChanged changeDailyWithdrawalLimit(long newLimit) {
        requireNotClosed("change the limits of");
        if (newLimit < 0) {
            throw new BankRuleViolation(
                    INVALID_LIMIT, "the daily withdrawal limit must not be negative, was " + money(newLimit));
        }
        return new DailyWithdrawalLimitChanged(newLimit);
    }

    /**
     * Decides a new overdraft limit. It may not be lower than the current overdraft: the balance
     * must always stay within the limit.
     *
     * @param newLimit in cents, 0 or more
     * @return the event to commit
     * @throws BankRuleViolation if the account is closed, the limit negative or below the overdraft
     */
    public OverdraftLimitChanged changeOverdraftLimit(long newLimit) {
        requireNotClosed("change the limits of");
        if (newLimit < 0) {
            throw new BankRuleViolation(
                    INVALID_LIMIT, "the overdraft limit must not be negative, was " + money(newLimit));
        }
        if (balance < -newLimit) {
            throw new BankRuleViolation(
                    INVALID_LIMIT,
                    "the overdraft limit cannot be " + money(newLimit) + " while the account is overdrawn by "
                            + money(-balance));
        }
        return new OverdraftLimitChanged(newLimit);
    }

    // ---- Rules shared by several decisions. ----

    private void requireDebitAllowed(String action, long amount, LocalDate today) {
        requireActive(action);
        requirePositive(amount);
        if (amount > available()) {
            throw new BankRuleViolation(
                    INSUFFICIENT_FUNDS,
                    "insufficient funds: requested " + money(amount) + ", available " + money(available())
                            + " (balance " + money(balance) + " + overdraft limit " + money(overdraftLimit) + ")");
        }
        long usedToday = debitedOn(today);
        if (usedToday + amount > dailyWithdrawalLimit) {
            throw new BankRuleViolation(
                    DAILY_LIMIT_EXCEEDED,
                    "daily withdrawal limit exceeded: requested " + money(amount) + ", already " + money(usedToday)
                            + " today (UTC), limit " + money(dailyWithdrawalLimit));
        }
    }

    private void requireActive(String action) {
        requireNotClosed(action);
        if (status == AccountStatus.FROZEN) {
            throw new BankRuleViolation(ACCOUNT_FROZEN, "cannot " + action + " a frozen account");
        }
    }

    private void requireNotClosed(String action) {
        if (status == AccountStatus.CLOSED) {
            throw new BankRuleViolation(ACCOUNT_CLOSED, "cannot " + action + " a closed account");
        }
    }

    private static void requirePositive(long amount) {
        if (amount <= 0) {
            throw new BankRuleViolation(INVALID_AMOUNT, "the amount must be positive, was " + amount + " cents");
        }
    }

    private void requireCurrency(String otherCurrency) {
        if (!currency.equals(otherCurrency)) {
            throw new BankRuleViolation(
                    CURRENCY_MISMATCH,
                    "cannot transfer between accounts in " + currency + " and " + otherCurrency
                            + " (this bank does no currency conversion)");
        }
    }

    // ---- Folding helpers. ----

    private AccountState withBalance(long newBalance) {
        return new AccountState(
                status, currency, newBalance, overdraftLimit, dailyWithdrawalLimit, lastDebitDay, debitedThatDay);
    }

    private AccountState withStatus(AccountStatus newStatus) {
        return new AccountState(
                newStatus, currency, balance, overdraftLimit, dailyWithdrawalLimit, lastDebitDay, debitedThatDay);
    }

    private AccountState withLimits(long daily, long overdraft) {
        return new AccountState(status, currency, balance, overdraft, daily, lastDebitDay, debitedThatDay);
    }

    // Only the last day's total is kept: the daily limit only ever asks about today.
    private AccountState debit(long amount, LocalDate day) {
        return new AccountState(
                status, currency, balance - amount, overdraftLimit, dailyWithdrawalLimit, day, debitedOn(day) + amount);
    }

    private static LocalDate utcDay(Event<?> event) {
        return LocalDate.ofInstant(event.timestamp(), ZoneOffset.UTC);
    }

    private String money(long cents) {
        return money(cents, currency);
    }

    private static String money(long cents, String currency) {
        return Money.format(cents, currency);
    }
}
