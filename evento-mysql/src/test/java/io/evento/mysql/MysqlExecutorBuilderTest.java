package io.evento.mysql;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.evento.PageRequest;
import io.evento.spi.ReadQuery;
import io.evento.tck.fixtures.TestEvents;
import java.time.Clock;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

class MysqlExecutorBuilderTest {
    @AfterAll
    static void dropDatabases() {
        TestDatabases.dropAll();
    }

    @Test
    void a_setting_given_twice_is_refused_naming_the_first_value() {
        assertThatThrownBy(() -> MysqlExecutor.builder()
                        .jdbcUrl("jdbc:mariadb://one/db?user=u&password=secret")
                        .jdbcUrl("jdbc:mariadb://two/db"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("jdbc URL was already set to jdbc:mariadb://one/db?user=u&password=***");
        assertThatThrownBy(() -> MysqlExecutor.builder().maximumPoolSize(3).maximumPoolSize(4))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("maximum pool size was already set to 3");
        assertThatThrownBy(() -> MysqlExecutor.builder()
                        .connectionTimeout(Duration.ofSeconds(3))
                        .connectionTimeout(Duration.ofSeconds(4)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("connection timeout was already set to PT3S");
        assertThatThrownBy(() -> MysqlExecutor.builder()
                        .pollInterval(Duration.ofMillis(100))
                        .pollInterval(Duration.ofMillis(200)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("poll interval was already set to PT0.1S");
        assertThatThrownBy(
                        () -> MysqlExecutor.builder().gatherDelay(Duration.ZERO).gatherDelay(Duration.ofMillis(1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("gather delay was already set to PT0S");
        assertThatThrownBy(
                        () -> MysqlExecutor.builder().clock(Clock.systemUTC()).clock(Clock.systemUTC()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("clock was already set to");
    }

    @Test
    void a_url_and_a_data_source_together_are_refused() {
        try (HikariDataSource pool = new HikariDataSource(lazyConfig())) {
            assertThatThrownBy(() -> MysqlExecutor.builder()
                            .jdbcUrl("jdbc:mariadb://h/db")
                            .dataSource(pool))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not both");
            assertThatThrownBy(() -> MysqlExecutor.builder().dataSource(pool).jdbcUrl("jdbc:mariadb://h/db"))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("not both");
            assertThatThrownBy(() -> MysqlExecutor.builder()
                            .dataSource(pool)
                            .maximumPoolSize(3)
                            .open())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("configure the data source instead");
        }
        assertThatThrownBy(() -> MysqlExecutor.builder().open())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("set a JDBC URL or a data source");
    }

    @Test
    void a_bad_value_is_refused_naming_it() {
        MysqlExecutor.Builder builder = MysqlExecutor.builder();

        assertThatThrownBy(() -> builder.jdbcUrl("mariadb://host/db?password=hunter2"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mariadb://host/db?password=***")
                .hasMessageNotContaining("hunter2");
        assertThatThrownBy(() -> builder.maximumPoolSize(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was 0");
        assertThatThrownBy(() -> builder.maximumPoolSize(1001))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was 1001");
        assertThatThrownBy(() -> builder.connectionTimeout(Duration.ofMillis(100)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT0.1S");
        assertThatThrownBy(() -> builder.pollInterval(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT0S");
        assertThatThrownBy(() -> builder.gatherDelay(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("PT-0.001S");
        assertThatThrownBy(() -> builder.jdbcUrl(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.dataSource(null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> builder.clock(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void a_refused_value_leaves_the_builder_usable() {
        String url = TestDatabases.create();
        MysqlExecutor.Builder builder = MysqlExecutor.builder();
        assertThatThrownBy(() -> builder.maximumPoolSize(0)).isInstanceOf(IllegalArgumentException.class);

        try (MysqlExecutor executor = builder.jdbcUrl(url)
                .maximumPoolSize(2)
                .gatherDelay(Duration.ZERO)
                .open()) {
            executor.write(TestEvents.events("t", "1", 1, 1));
            assertThat(executor.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                    .hasSize(1);
        }
    }

    @Test
    void an_executor_over_an_applications_data_source_leaves_it_open_when_closed() {
        String url = TestDatabases.create();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(3);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            try (MysqlExecutor executor =
                    MysqlExecutor.builder().dataSource(pool).open()) {
                executor.write(TestEvents.events("t", "1", 1, 2));
                assertThat(executor.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                        .hasSize(2);
                assertThat(executor.toString()).contains("store " + executor.storeId());
            }
            assertThat(pool.isClosed()).isFalse();
            try (MysqlExecutor again = MysqlExecutor.builder().dataSource(pool).open()) {
                assertThat(again.readAggregate("t", "1", 0, 10)).hasSize(2);
            }
        }
    }

    @Test
    void writes_and_positions_are_committed_even_when_the_data_source_hands_out_manual_commit_connections() {
        String url = TestDatabases.create();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(3);
        config.setAutoCommit(false);
        try (HikariDataSource pool = new HikariDataSource(config)) {
            try (MysqlExecutor executor =
                    MysqlExecutor.builder().dataSource(pool).open()) {
                executor.write(TestEvents.events("t", "1", 1, 2));
                assertThat(executor.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                        .hasSize(2);
            }
            try (MysqlExecutor again = MysqlExecutor.open(url)) {
                assertThat(again.readAggregate("t", "1", 0, 10)).hasSize(2);
                assertThat(again.read(ReadQuery.all(PageRequest.forward(10))).nodes())
                        .hasSize(2);
            }
        }
    }

    @Test
    void the_password_of_a_url_never_shows_in_messages() {
        assertThat(MysqlExecutor.redact("jdbc:mariadb://h:3306/db?user=u&password=s3cret&sslMode=trust"))
                .isEqualTo("jdbc:mariadb://h:3306/db?user=u&password=***&sslMode=trust");
        assertThat(MysqlExecutor.redact("jdbc:mysql://h/db?PWD=x;user=y"))
                .isEqualTo("jdbc:mysql://h/db?PWD=***;user=y");
    }

    private static HikariConfig lazyConfig() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:mariadb://127.0.0.1:1/none");
        config.setInitializationFailTimeout(-1);
        config.setMinimumIdle(0);
        return config;
    }
}
