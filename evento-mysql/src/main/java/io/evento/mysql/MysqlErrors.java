package io.evento.mysql;

import io.evento.StoreException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;

/**
 * The one place where MySQL and MariaDB errors are classified: by SQLSTATE class and vendor error
 * code, never by message text.
 *
 * <p>A retry may help when the connection failed or could not be made (SQLSTATE class {@code 08},
 * client errors 2002, 2003, 2006, 2013, the server shutting down or killing the connection), when
 * InnoDB gave up waiting for a lock or chose the transaction as a deadlock victim (1205, 1213,
 * SQLSTATE {@code 40001}), when the server has too many connections, is read-only for a failover,
 * or stopped a statement at its time limit. Everything else (a constraint, a syntax error, a missing
 * table) is permanent. The driver's or pool's own transient and recoverable exceptions (HikariCP
 * times out waiting for a connection with one) count as transient too.
 */
final class MysqlErrors {
    /** ER_DUP_ENTRY: a unique key would be violated. */
    static final int DUPLICATE_ENTRY = 1062;

    /** ER_DUP_ENTRY_WITH_KEY_NAME, the same raised by some statements. */
    static final int DUPLICATE_ENTRY_WITH_KEY_NAME = 1586;

    static final int TOO_MANY_CONNECTIONS = 1040;
    static final int SERVER_SHUTDOWN = 1053;
    static final int LOCK_WAIT_TIMEOUT = 1205;
    static final int DEADLOCK = 1213;
    static final int READ_ONLY = 1290;
    static final int READ_ONLY_TRANSACTION = 1792;
    static final int MARIADB_CONNECTION_KILLED = 1927;
    static final int MARIADB_STATEMENT_TIMEOUT = 1969;
    static final int MYSQL_STATEMENT_TIMEOUT = 3024;
    static final int CONNECTION_ERROR = 2002;
    static final int CONNECTION_HOST_ERROR = 2003;
    static final int SERVER_GONE = 2006;
    static final int SERVER_LOST = 2013;

    private MysqlErrors() {}

    /** Whether the statement violated a unique key (vendor code 1062, SQLSTATE 23000). */
    static boolean isDuplicateKey(SQLException e) {
        for (SQLException s : chain(e)) {
            int code = s.getErrorCode();
            if (code == DUPLICATE_ENTRY || code == DUPLICATE_ENTRY_WITH_KEY_NAME) {
                return true;
            }
        }
        return false;
    }

    /** Whether InnoDB gave up waiting for a lock (vendor code 1205). */
    static boolean isLockWaitTimeout(SQLException e) {
        for (SQLException s : chain(e)) {
            if (s.getErrorCode() == LOCK_WAIT_TIMEOUT) {
                return true;
            }
        }
        return false;
    }

    /** Whether a retry later may succeed. */
    static boolean isTransient(SQLException e) {
        for (SQLException s : chain(e)) {
            if (s instanceof SQLTransientException || s instanceof SQLRecoverableException) {
                return true;
            }
            String state = s.getSQLState();
            if (state != null && (state.startsWith("08") || state.equals("40001") || state.startsWith("HYT"))) {
                return true;
            }
            switch (s.getErrorCode()) {
                case TOO_MANY_CONNECTIONS,
                        SERVER_SHUTDOWN,
                        LOCK_WAIT_TIMEOUT,
                        DEADLOCK,
                        READ_ONLY,
                        READ_ONLY_TRANSACTION,
                        MARIADB_CONNECTION_KILLED,
                        MARIADB_STATEMENT_TIMEOUT,
                        MYSQL_STATEMENT_TIMEOUT,
                        CONNECTION_ERROR,
                        CONNECTION_HOST_ERROR,
                        SERVER_GONE,
                        SERVER_LOST -> {
                    return true;
                }
                default -> {}
            }
        }
        return false;
    }

    /** The {@link StoreException} for a failed operation, transient where the codes say so. */
    static StoreException failure(String operation, SQLException e) {
        boolean retry = isTransient(e);
        String detail = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return new StoreException(
                operation + " failed" + (retry ? " (transient, a retry may succeed)" : "") + ": " + detail, e, retry);
    }

    /** The exception and the SQL exceptions among its causes and chained exceptions, without cycles. */
    private static List<SQLException> chain(SQLException e) {
        List<SQLException> all = new ArrayList<>(4);
        Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        ArrayDeque<Throwable> todo = new ArrayDeque<>();
        todo.add(e);
        while (!todo.isEmpty() && all.size() < 16) {
            Throwable t = todo.poll();
            if (t == null || !seen.add(t)) {
                continue;
            }
            if (t instanceof SQLException s) {
                all.add(s);
                if (s.getNextException() != null) {
                    todo.add(s.getNextException());
                }
            }
            if (t.getCause() != null) {
                todo.add(t.getCause());
            }
        }
        return all;
    }
}
