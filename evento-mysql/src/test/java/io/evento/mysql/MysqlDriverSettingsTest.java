package io.evento.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.LeaseLostException;
import io.evento.PageRequest;
import io.evento.spi.Lease;
import io.evento.spi.ParkedEvent;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import io.evento.tck.fixtures.TestEvents;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The executor does not depend on how the driver counts rows: MariaDB Connector/J reports the rows
 * an update <em>found</em> unless {@code useAffectedRows=true}, when it reports the rows it
 * <em>changed</em>, so an update that writes a value a row already has counts 0. Every fenced
 * update changes its row (parking an event again with the same fields too, as its lease check is
 * such an update), and the horizon is judged by the counter's value, not by a row count.
 */
class MysqlDriverSettingsTest {
    @AfterAll
    static void dropDatabases() {
        TestDatabases.dropAll();
    }

    @ParameterizedTest(name = "useAffectedRows={0}")
    @ValueSource(booleans = {false, true})
    void acknowledging_the_same_checkpoint_twice_and_sequencing_work_with_either_row_count(boolean affectedRows) {
        String url = TestDatabases.create();
        String withSetting = url + (url.contains("?") ? "&" : "?") + "useAffectedRows=" + affectedRows;
        try (MysqlExecutor executor = MysqlExecutor.open(withSetting)) {
            executor.write(TestEvents.events("t", "1", 1, 3));
            String cursor = executor.read(ReadQuery.all(PageRequest.forward(10)))
                    .pageInfo()
                    .endCursor()
                    .orElseThrow();
            Lease lease =
                    executor.acquireLease("sub", "w1", Duration.ofMinutes(1)).orElseThrow();

            executor.acknowledge(lease, cursor);
            executor.acknowledge(lease, cursor);
            StoredEvent first = executor.readAggregate("t", "1", 0, 1).getFirst();
            ParkedEvent entry =
                    new ParkedEvent("sub", first.id(), "t", "1", 1, "failed", 2, Instant.parse("2024-01-01T00:00:00Z"));
            executor.park(lease, entry);
            executor.park(lease, entry);

            assertThat(executor.subscriberCursor("sub")).contains(cursor);
            assertThat(executor.parked("sub", 10)).containsExactly(entry);
            assertThat(executor.acquireLease("sub", "w1", Duration.ofMinutes(1)))
                    .hasValueSatisfying(again -> assertThat(again.token()).isEqualTo(lease.token()));
            executor.releaseLease(lease);
            assertThatThrownBy(() -> executor.acknowledge(lease, cursor)).isInstanceOf(LeaseLostException.class);
            assertThat(executor.sequencer().horizon()).isEqualTo(3);
        }
    }
}
