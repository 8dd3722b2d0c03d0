package io.evento.tck.domain;

import io.evento.Aggregate;
import io.evento.EventName;
import io.evento.EventVersion;
import java.util.Optional;

/**
 * The TCK's schema-evolution aggregate: today's events of a ledger whose older versions stored other
 * names and shapes (see {@code EvolutionScenarios} for what the "old application" wrote).
 */
@Aggregate("tck/Ledger")
public sealed interface Ledger {
    /**
     * The ledger was opened; stored as {@code Opened} by the old application.
     *
     * @param owner the owner
     */
    @EventName(value = "LedgerOpened", aliases = "Opened")
    record LedgerOpened(String owner) implements Ledger {}

    /**
     * Money came in. Version 1 stored {@code {"amount": "12.34"}}; version 2 splits it into units and
     * cents.
     *
     * @param units whole units
     * @param cents hundredths, 0 to 99
     * @param memo an optional note, absent in older events
     */
    @EventVersion(2)
    record Credited(long units, int cents, Optional<String> memo) implements Ledger {}

    /**
     * Money went out; the old application's {@code Transferred} became this and a {@link Noted}.
     *
     * @param cents the amount in hundredths
     */
    record Debited(long cents) implements Ledger {}

    /**
     * A free-text note.
     *
     * @param text the note
     */
    record Noted(String text) implements Ledger {}
}
