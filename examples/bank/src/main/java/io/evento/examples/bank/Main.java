package io.evento.examples.bank;

import io.evento.ConcurrencyException;
import io.evento.Evento;
import io.evento.Loaded;
import io.evento.Subscription;
import io.evento.SubscriptionHandle;
import io.evento.SubscriptionStatus;
import io.evento.examples.bank.Account.AccountType;
import io.evento.sqlite.SqliteExecutor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Locale;
import java.util.UUID;

/**
 * Tells the story of two bank accounts on an embedded SQLite file, {@code events.db} in the
 * working directory, recreated on every run.
 *
 * <p>The daily-limit steps count today's withdrawals, so a run that straddles midnight UTC tells a
 * slightly different story.
 */
public final class Main {
    private static final Path DATABASE = Path.of("events.db");

    private final Evento evento;
    private final Bank bank;
    private int step;

    private Main(Evento evento) {
        this.evento = evento;
        this.bank = new Bank(evento);
    }

    /**
     * Runs the story.
     *
     * @param args ignored
     * @throws IOException if the old database files cannot be deleted
     */
    public static void main(String[] args) throws IOException {
        for (String suffix : new String[] {"", "-wal", "-shm"}) {
            Files.deleteIfExists(Path.of(DATABASE + suffix));
        }
        try (SqliteExecutor executor = SqliteExecutor.open(DATABASE)) {
            Evento evento = Evento.builder(executor).register(Account.class).build();
            System.out.println("Evento bank example, on SQLite: " + DATABASE.toAbsolutePath());
            AccountDirectory.createTable(executor);
            Subscription directory = AccountDirectory.subscription(evento);
            try (SubscriptionHandle running = directory.start()) {
                new Main(evento).run();
                showDirectory(executor, directory, running);
            }
        }
    }

    /** The read model follows the log in the background; wait until it has caught up, then query it. */
    private static void showDirectory(SqliteExecutor executor, Subscription directory, SubscriptionHandle running) {
        System.out.printf("%nThe account directory, a read model kept by the subscription '%s'%n", directory.key());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (directory.status().getFirst().lagEvents() > 0) {
            if (!running.isRunning() || System.nanoTime() > deadline) {
                throw new IllegalStateException("the directory did not catch up: " + running.failure());
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        SubscriptionStatus status = directory.status().getFirst();
        say(
                "caught up: checkpoint %s, %d events behind, worker %s",
                status.cursor().orElse("-"),
                status.lagEvents(),
                status.workerId().orElse("-"));
        AccountDirectory.richestFirst(executor).forEach(row -> say("%s", row));
    }

    private void run() {
        step("Alice and Bob open accounts");
        String alice = bank.openAccount("customer-1", "Alice", AccountType.CHECKING, "EUR", 1_000_00);
        String bob = bank.openAccount("customer-2", "Bob", AccountType.SAVINGS, "EUR", 250_00);
        say("Alice: checking account %s, %s", alice, balance(alice));
        say("Bob:   savings account  %s, %s", bob, balance(bob));

        step("Deposits");
        bank.deposit(alice, 500_00, "salary");
        bank.deposit(bob, 100_00, "birthday money");
        say("Alice deposits 500.00 EUR -> %s", balance(alice));
        say("Bob deposits 100.00 EUR   -> %s", balance(bob));

        step("A transfer: two commits, one per account");
        bank.transfer(alice, bob, 200_00, "concert tickets");
        say("Alice sends Bob 200.00 EUR -> Alice %s, Bob %s", balance(alice), balance(bob));

        step("A withdrawal the rules refuse");
        attempt("Bob withdraws 2,000.00 EUR", () -> bank.withdraw(bob, 2_000_00, "new laptop"));
        say("Bob's balance is unchanged: %s", balance(bob));

        step("Freeze and unfreeze");
        bank.freeze(bob, "card reported stolen");
        say("Bob's account: %s", status(bob));
        attempt("Bob withdraws 20.00 EUR", () -> bank.withdraw(bob, 20_00, "cash"));
        bank.unfreeze(bob, "new card issued");
        say("Bob's account: %s", status(bob));
        attempt("Bob withdraws 20.00 EUR", () -> bank.withdraw(bob, 20_00, "cash"));

        twoClerks(alice);

        step("Limits");
        attempt("Alice withdraws 1,000.00 EUR", () -> bank.withdraw(alice, 1_000_00, "used car"));
        bank.changeOverdraftLimit(alice, 500_00);
        say("Alice's overdraft limit is now 500.00 EUR");
        attempt("Alice withdraws 1,000.00 EUR", () -> bank.withdraw(alice, 1_000_00, "used car"));
        bank.changeDailyWithdrawalLimit(alice, 2_000_00);
        say("Alice's daily withdrawal limit is now 2,000.00 EUR");
        attempt("Alice withdraws 1,000.00 EUR", () -> bank.withdraw(alice, 1_000_00, "used car"));
        attempt("Alice closes her account", () -> bank.close(alice, "moving abroad"));

        step("Final state, from the projections");
        for (String id : new String[] {alice, bob}) {
            Loaded<AccountDetails> loaded =
                    evento.load(AccountDetails.PROJECTION, id).orElseThrow();
            AccountDetails d = loaded.state();
            say(
                    "%s, %s account of %s, %d events",
                    d.ownerName(), d.accountType().toString().toLowerCase(Locale.ROOT), d.ownerId(), loaded.version());
            say(
                    "  balance %s (available %s), %d transactions, %s",
                    Money.format(d.balance(), d.currency()),
                    Money.format(d.availableBalance(), d.currency()),
                    d.transactions(),
                    status(id));
            say(
                    "  limits: %s a day, overdraft %s",
                    Money.format(d.dailyWithdrawalLimit(), d.currency()),
                    Money.format(d.overdraftLimit(), d.currency()));
        }
    }

    /**
     * Two clerks serve Alice at the same time. Both load her account at the same version; the
     * first commit wins, the second is refused with a {@link ConcurrencyException}. The second
     * clerk loads again and re-checks the rules against the new balance before committing. {@link
     * Bank#execute} runs this same loop for every command; here it is spelled out.
     */
    private void twoClerks(String alice) {
        step("Two clerks, one account: optimistic concurrency");
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        Loaded<AccountState> clerk1 = bank.load(alice);
        Loaded<AccountState> clerk2 = bank.load(alice);
        say("Clerk 1 and clerk 2 both load Alice's account at version %d: %s", clerk1.version(), balance(alice));

        clerk1.append()
                .event(clerk1.state().withdraw(300_00, transactionId(), "cash, counter 1", today))
                .requestedBy("clerk-1")
                .commit();
        say("Clerk 1 pays out 300.00 EUR: committed, %s", balance(alice));

        try {
            clerk2.append()
                    .event(clerk2.state().withdraw(400_00, transactionId(), "cash, counter 2", today))
                    .requestedBy("clerk-2")
                    .commit();
            say("Clerk 2 pays out 400.00 EUR: committed (unexpected: the versions should have clashed)");
        } catch (ConcurrencyException e) {
            say("Clerk 2 pays out 400.00 EUR: refused, %s", e.getMessage());
            Loaded<AccountState> fresh = bank.load(alice);
            AccountState state = fresh.state();
            say(
                    "Clerk 2 reloads at version %d (%s, %s already out today) and checks the rules again",
                    fresh.version(),
                    Money.format(state.balance(), state.currency()),
                    Money.format(state.debitedOn(today), state.currency()));
            fresh.append()
                    .event(state.withdraw(400_00, transactionId(), "cash, counter 2", today))
                    .requestedBy("clerk-2")
                    .commit();
            say("Clerk 2 pays out 400.00 EUR: committed, %s", balance(alice));
        }
    }

    private void attempt(String what, Runnable command) {
        try {
            command.run();
            say("%s: done", what);
        } catch (BankRuleViolation e) {
            say("%s: REJECTED (%s) %s", what, e.rule(), e.getMessage());
        }
    }

    private String balance(String accountId) {
        return evento.load(Balance.PROJECTION, accountId).orElseThrow().state().toString();
    }

    private String status(String accountId) {
        return evento.load(AccountStatusView.PROJECTION, accountId)
                .orElseThrow()
                .state()
                .toString();
    }

    private void step(String title) {
        System.out.printf("%n%d. %s%n", ++step, title);
    }

    private static void say(String format, Object... args) {
        System.out.println("   " + String.format(format, args));
    }

    private static String transactionId() {
        return UUID.randomUUID().toString();
    }
}
