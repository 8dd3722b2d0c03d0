package io.evento.bench;

import io.evento.Aggregate;

/** The events the benchmark writes: small, realistic payloads. */
@Aggregate("bench/Account")
sealed interface BenchEvents {
    /**
     * Money was deposited.
     *
     * @param amount in cents
     * @param reference a transaction reference
     * @param description free text
     */
    record Deposited(long amount, String reference, String description) implements BenchEvents {}
}
