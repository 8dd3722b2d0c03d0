package io.evento.internal.sql;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * JDBC objects without a database, for the shared SQL pieces: a connection that records the calls
 * that set up and end transactions, a statement that records what is bound, and a result set over
 * rows given as arrays.
 */
final class FakeJdbc {
    private FakeJdbc() {}

    /** A connection recording its calls, as {@code "setAutoCommit(false)"}, failing the calls given. */
    static final class FakeConnection {
        final List<String> calls = new ArrayList<>();
        final Map<String, SQLException> failures = new HashMap<>();
        final Connection connection = (Connection) Proxy.newProxyInstance(
                FakeJdbc.class.getClassLoader(), new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                    String call = method.getName()
                            + (args == null
                                    ? "()"
                                    : Arrays.toString(args).replace('[', '(').replace(']', ')'));
                    if (method.getName().equals("toString")) {
                        return "FakeConnection";
                    }
                    calls.add(call);
                    SQLException failure = failures.get(call);
                    if (failure != null) {
                        throw failure;
                    }
                    return null;
                });

        FakeConnection failing(String call, SQLException failure) {
            failures.put(call, failure);
            return this;
        }
    }

    /** A prepared statement recording the values bound, by parameter index. */
    static final class FakeStatement {
        final Map<Integer, Object> bound = new HashMap<>();
        final PreparedStatement statement = (PreparedStatement) Proxy.newProxyInstance(
                FakeJdbc.class.getClassLoader(), new Class<?>[] {PreparedStatement.class}, (proxy, method, args) -> {
                    if (method.getName().startsWith("set") && args != null && args.length == 2) {
                        bound.put((Integer) args[0], args[1]);
                        return null;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    private static final Set<String> GETTERS = Set.of("getString", "getInt", "getLong", "getBytes", "getBoolean");

    /** A result set over {@code rows}, each an array of column values from column 1. */
    static ResultSet rows(Object[]... rows) {
        int[] current = {-1};
        return (ResultSet) Proxy.newProxyInstance(
                FakeJdbc.class.getClassLoader(), new Class<?>[] {ResultSet.class}, (proxy, method, args) -> {
                    if (method.getName().equals("next")) {
                        return ++current[0] < rows.length;
                    }
                    if (GETTERS.contains(method.getName())) {
                        Object value = rows[current[0]][(Integer) args[0] - 1];
                        return switch (method.getName()) {
                            case "getInt" -> value == null ? 0 : value;
                            case "getLong" -> value == null ? 0L : value;
                            case "getBoolean" -> value != null && (Boolean) value;
                            default -> value;
                        };
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
