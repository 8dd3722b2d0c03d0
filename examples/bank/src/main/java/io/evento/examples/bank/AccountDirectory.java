package io.evento.examples.bank;

import io.evento.Event;
import io.evento.Evento;
import io.evento.Subscription;
import io.evento.examples.bank.Account.AccountClosed;
import io.evento.examples.bank.Account.AccountFrozen;
import io.evento.examples.bank.Account.AccountOpened;
import io.evento.examples.bank.Account.AccountUnfrozen;
import io.evento.examples.bank.Account.DailyWithdrawalLimitChanged;
import io.evento.examples.bank.Account.MoneyDeposited;
import io.evento.examples.bank.Account.MoneyReceived;
import io.evento.examples.bank.Account.MoneyTransferred;
import io.evento.examples.bank.Account.MoneyWithdrawn;
import io.evento.examples.bank.Account.OverdraftLimitChanged;
import io.evento.spi.JdbcExecutor;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A read model kept by a subscription: one row per account in a table of the same SQLite database,
 * for the queries a projection cannot answer ("every account, richest first").
 *
 * <p>The subscription is {@linkplain Subscription.Builder#transactional() transactional}: each
 * chunk's row changes and the subscription's checkpoint commit in one transaction, so every event is
 * applied exactly once, even if the process dies halfway. The handlers can therefore use plain
 * increments ({@code balance = balance + ?}) instead of idempotent writes.
 */
public final class AccountDirectory {

    /** The subscription's key: its checkpoint is stored under this name. */
    public static final String SUBSCRIPTION = "bank-account-directory";

    /**
     * One account as the directory shows it.
     *
     * @param accountId the account id
     * @param ownerName the owner's name
     * @param currency the currency
     * @param balance the balance in cents
     * @param transactions how many deposits, withdrawals and transfers
     * @param status active, frozen or closed
     */
    public record Row(
            String accountId, String ownerName, String currency, long balance, int transactions, AccountStatus status) {
        @Override
        public String toString() {
            return String.format(
                    "%-8s %-10s %14s %4d tx  %s",
                    ownerName,
                    status.toString().toLowerCase(java.util.Locale.ROOT),
                    Money.format(balance, currency),
                    transactions,
                    accountId);
        }
    }

    private AccountDirectory() {}

    /**
     * Creates the directory's table if it does not exist yet.
     *
     * @param executor the SQL executor the events live in
     */
    public static void createTable(JdbcExecutor executor) {
        executor.inTransaction(tx -> {
            try (Statement s = tx.createStatement()) {
                s.execute("""
                        CREATE TABLE IF NOT EXISTS bank_account_directory (
                            account_id   TEXT    PRIMARY KEY,
                            owner_name   TEXT    NOT NULL,
                            currency     TEXT    NOT NULL,
                            balance      INTEGER NOT NULL,
                            transactions INTEGER NOT NULL,
                            status       TEXT    NOT NULL
                        )""");
            }
            return null;
        });
    }

    /**
     * The subscription that keeps the directory: every account event, applied in the global order.
     *
     * @param evento an Evento on a {@link JdbcExecutor}, with {@link Account} registered
     * @return the subscription, not started
     */
    public static Subscription subscription(Evento evento) {
        return evento.subscription(SUBSCRIPTION)
                .on(Account.class, AccountDirectory::apply)
                .transactional()
                .chunkSize(200)
                .retry(3)
                .build();
    }

    /**
     * Every account, richest first.
     *
     * @param executor the SQL executor the directory lives in
     * @return the rows
     */
    public static List<Row> richestFirst(JdbcExecutor executor) {
        return executor.inTransaction(tx -> {
            List<Row> rows = new ArrayList<>();
            try (Statement s = tx.createStatement();
                    ResultSet rs = s.executeQuery("SELECT account_id, owner_name, currency, balance, transactions,"
                            + " status FROM bank_account_directory ORDER BY balance DESC, account_id")) {
                while (rs.next()) {
                    rows.add(new Row(
                            rs.getString(1),
                            rs.getString(2),
                            rs.getString(3),
                            rs.getLong(4),
                            rs.getInt(5),
                            AccountStatus.valueOf(rs.getString(6))));
                }
            }
            return rows;
        });
    }

    private static void apply(Event<Account> event, Subscription.Context context) throws SQLException {
        Connection tx = context.connection();
        String id = event.aggregatorId();
        switch (event.data()) {
            case AccountOpened e -> {
                try (PreparedStatement insert =
                        tx.prepareStatement("INSERT INTO bank_account_directory VALUES (?, ?, ?, ?, 0, 'ACTIVE')")) {
                    insert.setString(1, id);
                    insert.setString(2, e.ownerName());
                    insert.setString(3, e.currency());
                    insert.setLong(4, e.initialBalance());
                    insert.executeUpdate();
                }
            }
            case MoneyDeposited e -> move(tx, id, e.amount());
            case MoneyReceived e -> move(tx, id, e.amount());
            case MoneyWithdrawn e -> move(tx, id, -e.amount());
            case MoneyTransferred e -> move(tx, id, -e.amount());
            case AccountFrozen e -> status(tx, id, AccountStatus.FROZEN);
            case AccountUnfrozen e -> status(tx, id, AccountStatus.ACTIVE);
            case AccountClosed e -> status(tx, id, AccountStatus.CLOSED);
            case DailyWithdrawalLimitChanged e -> {
                // Limits are not shown in the directory.
            }
            case OverdraftLimitChanged e -> {
                // Limits are not shown in the directory.
            }
        }
    }

    private static void move(Connection tx, String id, long amount) throws SQLException {
        try (PreparedStatement update = tx.prepareStatement("UPDATE bank_account_directory"
                + " SET balance = balance + ?, transactions = transactions + 1 WHERE account_id = ?")) {
            update.setLong(1, amount);
            update.setString(2, id);
            expectOneRow(update.executeUpdate(), id);
        }
    }

    private static void status(Connection tx, String id, AccountStatus status) throws SQLException {
        try (PreparedStatement update =
                tx.prepareStatement("UPDATE bank_account_directory SET status = ? WHERE account_id = ?")) {
            update.setString(1, status.name());
            update.setString(2, id);
            expectOneRow(update.executeUpdate(), id);
        }
    }

    /** An event for an account the directory does not know means a bug: fail, and retry or stop. */
    private static void expectOneRow(int updated, String id) throws SQLException {
        if (updated != 1) {
            throw new SQLException("account " + id + " is not in the directory");
        }
    }
}
