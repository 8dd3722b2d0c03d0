package io.evento.tck.domain;

import io.evento.Aggregate;
import io.evento.EventName;

/** The TCK's main test aggregate: a tiny bank account. */
@Aggregate("tck/Account")
public sealed interface Account {
    /**
     * The account was opened.
     *
     * @param owner the owner's name
     * @param balance the opening balance
     */
    record Opened(String owner, long balance) implements Account {}

    /**
     * Money was deposited.
     *
     * @param amount the amount
     */
    record Deposited(long amount) implements Account {}

    /**
     * Money was withdrawn.
     *
     * @param amount the amount
     */
    record Withdrawn(long amount) implements Account {}

    /**
     * The account was renamed; stored under an explicit name.
     *
     * @param owner the new owner name
     */
    @EventName("OwnerRenamed")
    record Renamed(String owner) implements Account {}
}
