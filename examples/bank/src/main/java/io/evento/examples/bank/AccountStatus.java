package io.evento.examples.bank;

/** Where an account is in its life. */
public enum AccountStatus {
    /** Open for business. */
    ACTIVE,
    /** Money may arrive by transfer, but nothing leaves and no cash is paid in until it is unfrozen. */
    FROZEN,
    /** Closed for good: every command is rejected. */
    CLOSED
}
