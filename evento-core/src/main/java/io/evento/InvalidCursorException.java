package io.evento;

import java.io.Serial;

/**
 * A cursor passed to a read is malformed, was tampered with, or comes from another store. Reading
 * with it would return a wrong page, so the read is refused instead.
 */
public final class InvalidCursorException extends EventoException {
    @Serial
    private static final long serialVersionUID = 1L;

    /**
     * Creates the exception.
     *
     * @param message why the cursor is refused
     */
    public InvalidCursorException(String message) {
        super(message);
    }
}
