package io.evento.tck.domain;

import io.evento.Aggregate;

/**
 * An event family the TCK deliberately never registers, to check that events outside the
 * registered families are refused.
 */
@Aggregate("tck/Audit")
public sealed interface Audit {
    /**
     * Something was logged.
     *
     * @param message the message
     */
    record Logged(String message) implements Audit {}
}
