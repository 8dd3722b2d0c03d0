package io.evento.composite;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.memory.InMemoryExecutor;
import io.evento.spi.StoredEvent;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class RwTest {
    private final InMemoryExecutor primary = InMemoryExecutor.create();
    private final InMemoryExecutor replica = InMemoryExecutor.create();

    @AfterEach
    void close() {
        primary.close();
        replica.close();
    }

    private static StoredEvent event(String id, int version) {
        return new StoredEvent(
                "01J0000000000000000000000" + version,
                "t",
                id,
                version,
                "E",
                Optional.empty(),
                "{}".getBytes(),
                "{\"id\":\"m\"}".getBytes(),
                0);
    }

    @Test
    void loads_are_read_your_writes_while_the_replica_lags() {
        Rw rw = Rw.of(replica, primary);
        rw.write(List.of(event("a", 1), event("a", 2)));

        // The replica has not replayed anything yet: the load is answered by the primary.
        assertThat(rw.readAggregate("t", "a", 0, 10))
                .extracting(StoredEvent::version)
                .containsExactly(1, 2);

        // Once the replica caught up, it answers.
        replica.write(List.of(event("a", 1), event("a", 2)));
        assertThat(rw.readAggregate("t", "a", 0, 10))
                .extracting(StoredEvent::version)
                .containsExactly(1, 2);
    }

    @Test
    void without_remembered_writes_loads_come_from_the_replica_as_it_is() {
        Rw rw = Rw.of(replica, primary, 0);
        rw.write(List.of(event("a", 1)));
        assertThat(rw.readAggregate("t", "a", 0, 10)).isEmpty();
    }

    @Test
    void the_latest_version_always_comes_from_the_primary() {
        Rw rw = Rw.of(replica, primary);
        rw.write(List.of(event("a", 1)));
        assertThat(rw.lastEvent("t", "a")).map(StoredEvent::version).contains(1);
        assertThat(replica.lastEvent("t", "a")).isEmpty();
    }

    @Test
    void log_reads_go_to_the_replica_and_checkpoints_to_the_primary() {
        Rw rw = Rw.of(replica, primary);
        rw.write(List.of(event("a", 1)));
        assertThat(rw.read(io.evento.spi.ReadQuery.all(io.evento.PageRequest.forward(10)))
                        .nodes())
                .isEmpty();
        var lease = rw.acquireLease("sub", "w", java.time.Duration.ofMinutes(1)).orElseThrow();
        rw.acknowledge(lease, "checkpoint");
        assertThat(primary.subscriberCursor("sub")).contains("checkpoint");
        assertThat(replica.subscriberCursor("sub")).isEmpty();
    }
}
