package io.evento.examples.bank;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.evento.Evento;
import io.evento.Subscription;
import io.evento.SubscriptionHandle;
import io.evento.examples.bank.Account.AccountType;
import io.evento.sqlite.SqliteExecutor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The directory read model agrees with the projections, live and after a restart. */
class AccountDirectoryTest {

    @Test
    void the_directory_follows_the_log_live_and_resumes_after_a_restart(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bank.db");
        String alice;
        String bob;
        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            Evento evento = Evento.builder(executor).register(Account.class).build();
            AccountDirectory.createTable(executor);
            Subscription directory = AccountDirectory.subscription(evento);
            Bank bank = ConcurrencyTest.bankFor(evento);
            try (SubscriptionHandle running = directory.start()) {
                alice = bank.openAccount("customer-1", "Alice", AccountType.CHECKING, "EUR", 1_000_00);
                bob = bank.openAccount("customer-2", "Bob", AccountType.SAVINGS, "EUR", 0);
                bank.transfer(alice, bob, 200_00, "rent");
                ConcurrencyTest.race(32, i -> bank.deposit(alice, i + 1, "d"));
                bank.freeze(bob, "lost card");

                awaitCaughtUp(directory);
                assertThat(running.failure()).isEmpty();
                assertAgreesWithProjections(executor, evento, alice, bob);
            }

            // Stopped: new events wait in the log until the subscription runs again.
            bank.unfreeze(bob, "found it");
            bank.withdraw(alice, 50_00, "cash");
            assertThat(directory.status().getFirst().lagEvents()).isEqualTo(2);
        }

        try (SqliteExecutor executor = SqliteExecutor.open(file)) {
            Evento evento = Evento.builder(executor).register(Account.class).build();
            Subscription directory = AccountDirectory.subscription(evento);
            directory.execute();

            assertThat(directory.status().getFirst().lagEvents()).isZero();
            assertAgreesWithProjections(executor, evento, alice, bob);
            assertThat(AccountDirectory.richestFirst(executor))
                    .extracting(AccountDirectory.Row::ownerName)
                    .containsExactly("Alice", "Bob");
        }
    }

    private static void awaitCaughtUp(Subscription directory) {
        await().atMost(Duration.ofSeconds(30))
                .until(() -> directory.status().getFirst().lagEvents() == 0);
    }

    private static void assertAgreesWithProjections(SqliteExecutor executor, Evento evento, String... accounts) {
        List<AccountDirectory.Row> rows = AccountDirectory.richestFirst(executor);
        assertThat(rows).hasSize(accounts.length);
        for (String id : accounts) {
            AccountDetails details =
                    evento.load(AccountDetails.PROJECTION, id).orElseThrow().state();
            AccountDirectory.Row row = rows.stream()
                    .filter(r -> r.accountId().equals(id))
                    .findFirst()
                    .orElseThrow();
            assertThat(row.balance()).as("balance of " + id).isEqualTo(details.balance());
            assertThat(row.transactions()).as("transactions of " + id).isEqualTo(details.transactions());
            assertThat(row.status())
                    .isEqualTo(evento.load(AccountStatusView.PROJECTION, id)
                            .orElseThrow()
                            .state()
                            .status());
        }
    }
}
