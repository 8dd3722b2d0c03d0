package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;

import io.evento.spi.StoredSnapshot;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Snapshots are keyed by projection, aggregate type and id; saving replaces.
 *
 * <p>Run by {@link ExecutorTck} as its {@code Snapshots} group.
 */
abstract class SnapshotStoreScenarios extends Scenarios {
    SnapshotStoreScenarios(StoresUnderTest stores) {
        super(stores);
    }

    @Test
    void a_saved_snapshot_reads_back_intact() {
        byte[] data = new byte[256];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) i;
        }
        StoredSnapshot snapshot =
                new StoredSnapshot("balance", ACCOUNT_TYPE, "acc-1", "rev-7", 42, data, TIMESTAMP_MICROS);

        store().saveSnapshot(snapshot);

        assertThat(store().snapshot("balance", ACCOUNT_TYPE, "acc-1")).contains(snapshot);
    }

    @Test
    void a_missing_snapshot_reads_as_empty() {
        assertThat(store().snapshot("balance", ACCOUNT_TYPE, "acc-1")).isEmpty();
    }

    @Test
    void saving_again_replaces_the_snapshot() {
        store().saveSnapshot(snapshot("balance", ACCOUNT_TYPE, "acc-1", 1, new byte[] {1}));
        StoredSnapshot newer = new StoredSnapshot(
                "balance", ACCOUNT_TYPE, "acc-1", "rev-2", 3, new byte[] {3, 3, 3}, TIMESTAMP_MICROS + 1_000);

        store().saveSnapshot(newer);

        assertThat(store().snapshot("balance", ACCOUNT_TYPE, "acc-1")).contains(newer);
        StoredSnapshot older = snapshot("balance", ACCOUNT_TYPE, "acc-1", 2, new byte[0]);
        store().saveSnapshot(older);
        assertThat(store().snapshot("balance", ACCOUNT_TYPE, "acc-1")).contains(older);
    }

    @Test
    void snapshots_are_keyed_by_projection_aggregate_type_and_id() {
        StoredSnapshot base = snapshot("balance", ACCOUNT_TYPE, "acc-1", 1, new byte[] {1});
        StoredSnapshot otherProjection = snapshot("history", ACCOUNT_TYPE, "acc-1", 2, new byte[] {2});
        StoredSnapshot otherType = snapshot("balance", OWNER_TYPE, "acc-1", 3, new byte[] {3});
        StoredSnapshot otherId = snapshot("balance", ACCOUNT_TYPE, "acc-2", 4, new byte[] {4});
        for (StoredSnapshot s : List.of(base, otherProjection, otherType, otherId)) {
            store().saveSnapshot(s);
        }

        assertThat(store().snapshot("balance", ACCOUNT_TYPE, "acc-1")).contains(base);
        assertThat(store().snapshot("history", ACCOUNT_TYPE, "acc-1")).contains(otherProjection);
        assertThat(store().snapshot("balance", OWNER_TYPE, "acc-1")).contains(otherType);
        assertThat(store().snapshot("balance", ACCOUNT_TYPE, "acc-2")).contains(otherId);
        assertThat(store().snapshot("history", ACCOUNT_TYPE, "acc-2")).isEmpty();
        assertThat(store().snapshot("history", OWNER_TYPE, "acc-1")).isEmpty();
        assertThat(storedEvents(store())).isEmpty();
    }
}
