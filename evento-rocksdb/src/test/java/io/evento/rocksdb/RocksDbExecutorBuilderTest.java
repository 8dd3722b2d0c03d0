package io.evento.rocksdb;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.Durability;
import io.evento.tck.fixtures.TestEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksDbExecutorBuilderTest {
    @TempDir
    Path dir;

    @Test
    void a_setting_given_twice_is_refused_naming_the_first_value() {
        Path store = dir.resolve("store");

        assertThatThrownBy(() -> RocksDbExecutor.builder(store)
                        .durability(Durability.SURVIVES_POWER_LOSS)
                        .durability(Durability.SURVIVES_PROCESS_CRASH))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("durability was already set to SURVIVES_POWER_LOSS");
        assertThatThrownBy(() -> RocksDbExecutor.builder(store).maxBatch(100).maxBatch(200))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("max batch was already set to 100");
        assertThatThrownBy(() ->
                        RocksDbExecutor.builder(store).clock(Clock.systemUTC()).clock(Clock.systemUTC()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("clock was already set to SystemClock");
        assertThat(store).doesNotExist();
    }

    @Test
    void a_bad_value_is_refused_naming_it() {
        RocksDbExecutor.Builder builder = RocksDbExecutor.builder(dir.resolve("store"));

        assertThatThrownBy(() -> builder.maxBatch(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("max batch must be between 1 and 1048576 events, was 0");
        assertThatThrownBy(() -> builder.maxBatch(RocksDbExecutor.Builder.MAX_MAX_BATCH + 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was 1048577");
        assertThatThrownBy(() -> builder.durability(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.clock(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void a_refused_value_leaves_the_builder_usable_and_every_durability_works() {
        for (Durability durability : Durability.values()) {
            RocksDbExecutor.Builder builder = RocksDbExecutor.builder(dir.resolve("store-" + durability));
            assertThatThrownBy(() -> builder.maxBatch(-1)).isInstanceOf(IllegalArgumentException.class);

            try (RocksDbExecutor executor =
                    builder.maxBatch(1).durability(durability).open()) {
                executor.write(TestEvents.events("t", "1", 1, 3));
                executor.write(TestEvents.events("t", "2", 1, 1));
                assertThat(executor.readAggregate("t", "1", 0, 10)).hasSize(3);
                assertThat(executor.writeBatches()).isEqualTo(2);
            }
        }
    }

    @Test
    void a_path_that_is_not_a_directory_of_the_default_file_system_is_refused() throws Exception {
        Path file = Files.writeString(dir.resolve("file"), "not a store");

        assertThatThrownBy(() -> RocksDbExecutor.builder(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> RocksDbExecutor.open(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is a file")
                .hasMessageContaining(file.toString());
        assertThat(Files.readString(file)).isEqualTo("not a store");
    }

    @Test
    void missing_parent_directories_are_created() {
        Path nested = dir.resolve("a/b/c/store");
        try (RocksDbExecutor executor = RocksDbExecutor.open(nested)) {
            assertThat(executor.toString()).contains(nested.toString()).contains(executor.storeId());
        }
        assertThat(nested).isDirectory();
    }
}
