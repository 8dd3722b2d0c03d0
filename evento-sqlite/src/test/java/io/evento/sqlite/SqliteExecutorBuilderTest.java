package io.evento.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.sqlite.SqliteExecutor.Durability;
import io.evento.tck.fixtures.TestEvents;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SqliteExecutorBuilderTest {
    @TempDir
    Path dir;

    @Test
    void a_setting_given_twice_is_refused_naming_the_first_value() {
        Path file = dir.resolve("events.db");

        assertThatThrownBy(() -> SqliteExecutor.builder(file)
                        .synchronous(Durability.FULL)
                        .synchronous(Durability.NORMAL))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("synchronous was already set to FULL");
        assertThatThrownBy(() -> SqliteExecutor.builder(file)
                        .busyTimeout(Duration.ofSeconds(3))
                        .busyTimeout(Duration.ofSeconds(4)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("busy timeout was already set to PT3S");
        assertThatThrownBy(() -> SqliteExecutor.builder(file).readConnections(2).readConnections(3))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("read connections were already set to 2");
        assertThatThrownBy(() ->
                        SqliteExecutor.builder(file).clock(Clock.systemUTC()).clock(Clock.systemUTC()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("clock was already set to");
    }

    @Test
    void a_bad_value_is_refused_naming_it() {
        SqliteExecutor.Builder builder = SqliteExecutor.builder(dir.resolve("events.db"));

        assertThatThrownBy(() -> builder.busyTimeout(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT-0.001S");
        assertThatThrownBy(() -> builder.busyTimeout(Duration.ofDays(30)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT720H");
        assertThatThrownBy(() -> builder.readConnections(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was 0");
        assertThatThrownBy(() -> builder.readConnections(65))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was 65");
        assertThatThrownBy(() -> builder.synchronous(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.clock(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void a_refused_value_leaves_the_builder_usable() {
        SqliteExecutor.Builder builder = SqliteExecutor.builder(dir.resolve("events.db"));
        assertThatThrownBy(() -> builder.readConnections(0)).isInstanceOf(IllegalArgumentException.class);

        try (SqliteExecutor executor =
                builder.readConnections(2).busyTimeout(Duration.ZERO).open()) {
            executor.write(TestEvents.events("t", "1", 1, 1));
            assertThat(executor.lastEvent("t", "1")).isPresent();
        }
    }

    @Test
    void a_path_that_sqlite_cannot_take_as_a_file_name_is_refused() throws Exception {
        Path folder = Files.createDirectory(dir.resolve("folder"));

        assertThatThrownBy(() -> SqliteExecutor.builder(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> SqliteExecutor.open(dir.resolve("what?.db")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'?'")
                .hasMessageContaining("what?.db");
        assertThatThrownBy(() -> SqliteExecutor.open(folder))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("is a directory")
                .hasMessageContaining(folder.toString());
        assertThat(dir.resolve("what?.db")).doesNotExist();
    }
}
