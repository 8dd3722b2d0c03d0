package io.evento.sqlite;

import io.evento.StoreException;
import java.sql.SQLException;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The one place where SQLite errors are classified, by SQLite's result codes and never by message
 * text.
 *
 * <p>sqlite-jdbc reports the extended result code (for example {@code SQLITE_CONSTRAINT_UNIQUE},
 * 2067) through {@link SQLiteException#getResultCode()} and only its primary part ({@code
 * SQLITE_CONSTRAINT}, 19) through {@link SQLException#getErrorCode()}; the primary code decides
 * whether a retry may help, the extended one tells a unique-key violation from other constraints.
 */
final class SqliteErrors {
    static final int SQLITE_BUSY = 5;
    static final int SQLITE_LOCKED = 6;
    static final int SQLITE_NOMEM = 7;
    static final int SQLITE_INTERRUPT = 9;
    static final int SQLITE_IOERR = 10;
    static final int SQLITE_FULL = 13;
    static final int SQLITE_PROTOCOL = 15;
    static final int SQLITE_CONSTRAINT_PRIMARYKEY = 1555;
    static final int SQLITE_CONSTRAINT_UNIQUE = 2067;

    private SqliteErrors() {}

    /**
     * The extended result code of the first SQLite error in the exception's chain, or {@code -1}
     * if none carries one.
     */
    static int resultCode(SQLException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof SQLiteException s && s.getResultCode() != SQLiteErrorCode.UNKNOWN_ERROR) {
                return s.getResultCode().code;
            }
            if (t instanceof SQLException q && q.getErrorCode() > 0) {
                return q.getErrorCode();
            }
        }
        return -1;
    }

    /** Whether a retry later may succeed: the database was busy or locked, or the I/O or disk failed. */
    static boolean isTransient(int resultCode) {
        return switch (resultCode & 0xFF) {
            case SQLITE_BUSY,
                    SQLITE_LOCKED,
                    SQLITE_NOMEM,
                    SQLITE_INTERRUPT,
                    SQLITE_IOERR,
                    SQLITE_FULL,
                    SQLITE_PROTOCOL -> true;
            default -> false;
        };
    }

    /** Whether the statement violated a unique or primary-key constraint. */
    static boolean isUniqueViolation(SQLException e) {
        int code = resultCode(e);
        return code == SQLITE_CONSTRAINT_UNIQUE || code == SQLITE_CONSTRAINT_PRIMARYKEY;
    }

    /** The {@link StoreException} for a failed operation, transient where the result code says so. */
    static StoreException failure(String operation, SQLException e) {
        int code = resultCode(e);
        return new StoreException(operation + " failed: " + e.getMessage(), e, isTransient(code));
    }
}
