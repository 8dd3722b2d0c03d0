package io.evento.internal.sql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.internal.sql.FakeJdbc.FakeConnection;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class TransactionsTest {
    private static final int RC = Connection.TRANSACTION_READ_COMMITTED;
    private static final int SERIALIZABLE = Connection.TRANSACTION_SERIALIZABLE;

    @Test
    void work_on_a_pool_connection_commits_and_puts_auto_commit_back() throws SQLException {
        FakeConnection fake = new FakeConnection();

        String result = Transactions.inTransaction(fake.connection, true, RC, c -> "done");

        assertThat(result).isEqualTo("done");
        assertThat(fake.calls).containsExactly("setAutoCommit(false)", "commit()", "setAutoCommit(true)");
    }

    @Test
    void another_isolation_level_is_switched_to_read_committed_before_and_back_after() throws SQLException {
        FakeConnection fake = new FakeConnection();

        Transactions.inTransaction(fake.connection, true, SERIALIZABLE, c -> null);

        assertThat(fake.calls)
                .containsExactly(
                        "setTransactionIsolation(" + RC + ")",
                        "setAutoCommit(false)",
                        "commit()",
                        "setAutoCommit(true)",
                        "setTransactionIsolation(" + SERIALIZABLE + ")");
    }

    @Test
    void a_connection_handed_out_with_auto_commit_off_is_left_so() throws SQLException {
        FakeConnection fake = new FakeConnection();

        Transactions.inTransaction(fake.connection, false, RC, c -> null);

        assertThat(fake.calls).containsExactly("commit()");
    }

    @Test
    void failed_work_rolls_back_and_its_failure_is_what_the_caller_hears() {
        FakeConnection fake = new FakeConnection();
        SQLException failure = new SQLException("duplicate key", "23505");

        assertThatThrownBy(() -> Transactions.inTransaction(fake.connection, true, RC, c -> {
                    throw failure;
                }))
                .isSameAs(failure);
        assertThat(fake.calls).containsExactly("setAutoCommit(false)", "rollback()", "setAutoCommit(true)");
    }

    @Test
    void a_runtime_exception_of_the_work_is_rethrown_unchanged_after_the_rollback() {
        FakeConnection fake = new FakeConnection();
        IllegalStateException failure = new IllegalStateException("lease lost");

        assertThatThrownBy(() -> Transactions.inTransaction(fake.connection, true, RC, c -> {
                    throw failure;
                }))
                .isSameAs(failure);
        assertThat(fake.calls).containsExactly("setAutoCommit(false)", "rollback()", "setAutoCommit(true)");
    }

    @Test
    void a_failed_commit_is_rolled_back_and_thrown() {
        SQLException failure = new SQLException("serialization failure", "40001");
        FakeConnection fake = new FakeConnection().failing("commit()", failure);

        assertThatThrownBy(() -> Transactions.inTransaction(fake.connection, true, RC, c -> "never"))
                .isSameAs(failure);
        assertThat(fake.calls).containsExactly("setAutoCommit(false)", "commit()", "rollback()", "setAutoCommit(true)");
    }

    @Test
    void a_failed_rollback_is_recorded_on_the_failure_instead_of_hiding_it() {
        SQLException rollback = new SQLException("connection reset", "08006");
        FakeConnection fake = new FakeConnection().failing("rollback()", rollback);
        SQLException failure = new SQLException("syntax error", "42601");

        assertThatThrownBy(() -> Transactions.inTransaction(fake.connection, true, RC, c -> {
                    throw failure;
                }))
                .isSameAs(failure)
                .satisfies(e -> assertThat(e.getSuppressed()).containsExactly(rollback));
    }

    @Test
    void a_connection_that_cannot_be_put_back_does_not_hide_the_outcome() throws SQLException {
        SQLException broken = new SQLException("connection reset", "08006");
        FakeConnection fake = new FakeConnection()
                .failing("setAutoCommit(true)", broken)
                .failing("setTransactionIsolation(" + SERIALIZABLE + ")", broken);
        SQLException failure = new SQLException("duplicate key", "23505");

        String shared = Transactions.inTransaction(fake.connection, true, SERIALIZABLE, c -> "shared");
        String borrowed = Transactions.inTransaction(fake.connection, false, SERIALIZABLE, c -> "borrowed");
        String own = Transactions.inOwnTransaction(fake.connection, c -> "own");

        assertThat(shared).isEqualTo("shared");
        assertThat(borrowed).isEqualTo("borrowed");
        assertThat(own).isEqualTo("own");
        assertThatThrownBy(() -> Transactions.inOwnTransaction(fake.connection, c -> {
                    throw failure;
                }))
                .isSameAs(failure)
                .satisfies(e -> assertThat(e.getSuppressed()).isEmpty());
    }

    @Test
    void the_executors_own_transaction_commits_and_puts_auto_commit_back() throws SQLException {
        FakeConnection fake = new FakeConnection();

        int result = Transactions.inOwnTransaction(fake.connection, c -> 7);

        assertThat(result).isEqualTo(7);
        assertThat(fake.calls).containsExactly("setAutoCommit(false)", "commit()", "setAutoCommit(true)");
    }

    @Test
    void the_executors_own_transaction_rolls_back_on_failure_and_puts_auto_commit_back() {
        FakeConnection fake = new FakeConnection();
        SQLException failure = new SQLException("duplicate key", "23505");

        assertThatThrownBy(() -> Transactions.inOwnTransaction(fake.connection, c -> {
                    throw failure;
                }))
                .isSameAs(failure);
        assertThat(fake.calls).containsExactly("setAutoCommit(false)", "rollback()", "setAutoCommit(true)");
    }

    @Test
    void work_that_gives_up_by_rolling_back_itself_returns_its_result() throws SQLException {
        FakeConnection fake = new FakeConnection();

        boolean written = Transactions.inOwnTransaction(fake.connection, c -> {
            c.rollback();
            return false;
        });

        assertThat(written).isFalse();
        assertThat(fake.calls).containsExactly("setAutoCommit(false)", "rollback()", "commit()", "setAutoCommit(true)");
    }

    @Test
    void closing_quietly_swallows_the_failure_and_ignores_null() {
        boolean[] closed = {false};
        Transactions.closeQuietly(
                () -> {
                    closed[0] = true;
                    throw new IllegalStateException("pool already shut down");
                },
                "the connection pool");
        Transactions.closeQuietly(null, "the connection pool");

        assertThat(closed[0]).isTrue();
    }
}
