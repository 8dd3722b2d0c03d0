package io.evento.sqlite;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The writer connection as lent to the work of {@link SqliteExecutor#inTransaction}: a {@link
 * Connection} proxy that forwards statements to it but keeps the transaction and the connection
 * the executor's.
 *
 * <p>The executor commits or rolls back according to the work's outcome, and goes on using the
 * connection afterwards for every other write. So the proxy refuses to end the transaction
 * ({@code commit}, {@code rollback}, {@code setAutoCommit(true)}, the JDBC savepoint methods) or to
 * change the connection's settings for later writes ({@code setReadOnly}, {@code
 * setTransactionIsolation}), with an {@link
 * IllegalStateException}: a programming error, rethrown unchanged by {@code inTransaction} after the
 * rollback. {@code close} and {@code abort} only detach the proxy, as returning a pooled connection
 * would, so that code written for a pool (close when done) still works. {@code getAutoCommit}
 * answers {@code false}, which is the truth inside the transaction even though the driver, which
 * did not issue the {@code BEGIN}, would say otherwise.
 *
 * <p>Once closed, or once the work returned, every other call fails with an {@link SQLException}
 * like a closed connection's: a proxy kept beyond the work must not write into later transactions.
 */
final class TransactionConnection implements InvocationHandler {
    private static final String CONNECTION_CLOSED = "08003";

    private final Connection delegate;
    private final Connection proxy;
    /** Closed by the work, or ended with it: no call reaches the connection any more. */
    private volatile boolean detached;
    /** Ended with the work: not even the executor's own methods may use it. */
    private volatile boolean ended;

    TransactionConnection(Connection delegate) {
        this.delegate = delegate;
        this.proxy = (Connection) Proxy.newProxyInstance(
                TransactionConnection.class.getClassLoader(), new Class<?>[] {Connection.class}, this);
    }

    /** The connection to hand to the work. */
    Connection proxy() {
        return proxy;
    }

    /**
     * Whether {@code connection} is this transaction's: the proxy, even if the work closed it, or
     * what it unwraps to; until the work ends.
     */
    boolean isFor(Connection connection) {
        return !ended && (connection == proxy || connection == delegate);
    }

    /** Detaches the proxy for good: the work returned or threw, the transaction is over. */
    void end() {
        ended = true;
        detached = true;
    }

    @Override
    public Object invoke(Object self, Method method, Object[] args) throws Throwable {
        String name = method.getName();
        int arity = method.getParameterCount();
        switch (name) {
            case "equals" -> {
                if (arity == 1) {
                    return self == args[0];
                }
            }
            case "hashCode" -> {
                if (arity == 0) {
                    return System.identityHashCode(self);
                }
            }
            case "toString" -> {
                if (arity == 0) {
                    return "SqliteExecutor transaction connection" + (detached ? " (closed)" : "");
                }
            }
            case "close", "abort" -> {
                detached = true;
                return null;
            }
            case "isClosed" -> {
                return detached;
            }
            case "isValid" -> {
                return !detached;
            }
            default -> {
                // Every other method is checked and forwarded below.
            }
        }
        if (detached) {
            throw new SQLException(
                    "this connection was closed, or the work of inTransaction it was passed to has returned",
                    CONNECTION_CLOSED);
        }
        switch (name) {
            case "commit" -> throw misuse("commit");
            case "rollback" -> throw misuse(arity == 0 ? "roll back" : "use JDBC savepoints");
            // The driver's savepoint methods switch its own auto-commit bookkeeping, which would
            // then disagree with the executor's BEGIN and COMMIT; SAVEPOINT statements are fine.
            case "setSavepoint", "releaseSavepoint" -> throw misuse("use JDBC savepoints");
            case "setAutoCommit" -> {
                if (Boolean.TRUE.equals(args[0])) {
                    throw misuse("switch to auto-commit (which commits)");
                }
                return null;
            }
            case "getAutoCommit" -> {
                return false;
            }
            case "setReadOnly", "setTransactionIsolation" -> throw misuse("call " + name);
            default -> {
                // A plain JDBC call for the work's own statements.
            }
        }
        try {
            return method.invoke(delegate, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    private static IllegalStateException misuse(String what) {
        return new IllegalStateException("do not " + what + " on the connection of inTransaction: the SqliteExecutor"
                + " commits when the work returns and rolls back when it throws (SQL SAVEPOINT statements work)");
    }
}
