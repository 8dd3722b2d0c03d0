package io.evento.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

/** The builder refuses bad and repeated settings at once, with messages naming the values. */
class PostgresExecutorBuilderTest {
    private static final String URL = "jdbc:postgresql://db.example:5432/app?user=app";

    @Test
    void each_setting_may_be_given_once_and_the_message_names_the_first_value() {
        assertThatThrownBy(() -> PostgresExecutor.builder().schema("billing").schema("other"))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("schema was already set to billing");
        assertThatThrownBy(() -> PostgresExecutor.builder().maximumPoolSize(8).maximumPoolSize(9))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("maximum pool size was already set to 8");
        assertThatThrownBy(() -> PostgresExecutor.builder()
                        .connectionTimeout(Duration.ofSeconds(2))
                        .connectionTimeout(Duration.ofSeconds(3)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("connection timeout was already set to PT2S");
        assertThatThrownBy(() -> PostgresExecutor.builder().jdbcUrl(URL).jdbcUrl(URL))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a JDBC URL was already set (" + URL + ")");
    }

    @Test
    void a_url_and_a_data_source_exclude_each_other() {
        DataSource dataSource = new PGSimpleDataSource();

        assertThatThrownBy(() -> PostgresExecutor.builder().jdbcUrl(URL).dataSource(dataSource))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("set either one JDBC URL or one data source");
        assertThatThrownBy(
                        () -> PostgresExecutor.builder().dataSource(dataSource).jdbcUrl(URL))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("a data source was already set");
    }

    @Test
    void opening_needs_a_url_or_a_data_source_and_pool_settings_need_the_url() {
        DataSource dataSource = new PGSimpleDataSource();

        assertThatThrownBy(() -> PostgresExecutor.builder().schema("s").open())
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("set a JDBC URL or a data source before opening");
        assertThatThrownBy(() -> PostgresExecutor.builder()
                        .dataSource(dataSource)
                        .maximumPoolSize(3)
                        .open())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("maximum pool size (3) applies to the pool created from a JDBC URL");
        assertThatThrownBy(() -> PostgresExecutor.builder()
                        .dataSource(dataSource)
                        .connectionTimeout(Duration.ofSeconds(1))
                        .open())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("connection timeout (PT1S) applies to the pool created from a JDBC URL");
    }

    @Test
    void a_url_of_another_database_is_refused_without_showing_its_password() {
        assertThatThrownBy(() -> PostgresExecutor.builder().jdbcUrl("jdbc:mysql://db/app?user=a&password=secret"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage(
                        "the JDBC URL must start with jdbc:postgresql:, was 'jdbc:mysql://db/app?user=a&password=***'");
        assertThatThrownBy(() -> PostgresExecutor.builder()
                        .jdbcUrl("jdbc:postgresql://db/app?password=secret&user=a")
                        .jdbcUrl(URL))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("password=***&user=a")
                .hasMessageNotContaining("secret");
    }

    @Test
    void a_schema_must_be_a_plain_lower_case_identifier() {
        for (String bad :
                new String[] {"", "Billing", "1abc", "a-b", "a b", "a\"b", "public;drop", "é", "a".repeat(64)}) {
            assertThatThrownBy(() -> PostgresExecutor.builder().schema(bad))
                    .as("'%s'", bad)
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("was '" + bad + "'");
        }
        for (String good : new String[] {"public", "_x", "billing_2", "select", "a".repeat(63)}) {
            assertThat(PostgresExecutor.builder().schema(good)).as(good).isNotNull();
        }
    }

    @Test
    void pool_size_and_connection_timeout_must_be_in_range() {
        assertThatThrownBy(() -> PostgresExecutor.builder().maximumPoolSize(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maximum pool size must be between 1 and 1000, was 0");
        assertThatThrownBy(() -> PostgresExecutor.builder().maximumPoolSize(1001))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("was 1001");
        assertThatThrownBy(() -> PostgresExecutor.builder().connectionTimeout(Duration.ofMillis(100)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("connection timeout must be at least PT0.25S, was PT0.1S");
    }

    @Test
    void null_settings_are_refused_naming_the_setting() {
        assertThatThrownBy(() -> PostgresExecutor.builder().jdbcUrl(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("jdbcUrl");
        assertThatThrownBy(() -> PostgresExecutor.builder().dataSource(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("dataSource");
        assertThatThrownBy(() -> PostgresExecutor.builder().schema(null))
                .isInstanceOf(NullPointerException.class)
                .hasMessage("schema");
    }
}
