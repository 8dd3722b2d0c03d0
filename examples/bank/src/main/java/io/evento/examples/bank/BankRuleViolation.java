package io.evento.examples.bank;

import java.io.Serial;
import java.util.Objects;

/**
 * A command was rejected by a business rule; nothing was written. The {@link #rule()} says which
 * rule, for code; the message says it for people.
 *
 * <p>It is not an Evento exception: Evento stores events, the bank decides which ones may happen.
 * Retrying the same command against the same state gives the same answer, so the bank never
 * retries these (unlike a {@link io.evento.ConcurrencyException}).
 */
public final class BankRuleViolation extends RuntimeException {
    @Serial
    private static final long serialVersionUID = 1L;

    /** The rules a command can break. */
    public enum Rule {
        /** An amount was zero or negative. */
        INVALID_AMOUNT,
        /** A limit was negative, or below what the account already uses. */
        INVALID_LIMIT,
        /** Owner or currency missing or malformed when opening an account. */
        INVALID_ACCOUNT_DETAILS,
        /** No account has this id. */
        ACCOUNT_NOT_FOUND,
        /** The account is frozen (or, for a freeze, already frozen). */
        ACCOUNT_FROZEN,
        /** The account is not frozen, so it cannot be unfrozen. */
        ACCOUNT_NOT_FROZEN,
        /** The account is closed. */
        ACCOUNT_CLOSED,
        /** The amount is more than the balance plus the overdraft limit. */
        INSUFFICIENT_FUNDS,
        /** The amount would take today's withdrawals and transfers out over the daily limit. */
        DAILY_LIMIT_EXCEEDED,
        /** An account can only be closed at a balance of exactly zero. */
        BALANCE_NOT_ZERO,
        /** A transfer between accounts in different currencies. */
        CURRENCY_MISMATCH,
        /** A transfer from an account to itself. */
        SAME_ACCOUNT
    }

    private final Rule rule;

    /**
     * Creates the exception.
     *
     * @param rule the broken rule
     * @param message what was wrong, with the numbers involved
     */
    public BankRuleViolation(Rule rule, String message) {
        super(message);
        this.rule = Objects.requireNonNull(rule, "rule");
    }

    /**
     * The rule the command broke.
     *
     * @return the rule
     */
    public Rule rule() {
        return rule;
    }
}
