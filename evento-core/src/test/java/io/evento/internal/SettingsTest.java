package io.evento.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class SettingsTest {

    @Test
    void a_setting_not_set_yet_may_be_set() {
        assertThatNoException().isThrownBy(() -> Settings.requireUnset("schema", null));
        assertThatNoException().isThrownBy(() -> Settings.requireUnset("maximum pool size", 0));
        assertThatNoException().isThrownBy(() -> Settings.requireUnsetPlural("read connections", 0));
    }

    @Test
    void a_setting_set_twice_is_refused_with_the_value_it_has() {
        assertThatThrownBy(() -> Settings.requireUnset("connection timeout", Duration.ofSeconds(2)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("connection timeout was already set to PT2S");
        assertThatThrownBy(() -> Settings.requireUnset("maximum pool size", 8))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("maximum pool size was already set to 8");
        assertThatThrownBy(() -> Settings.requireUnsetPlural("read connections", 2))
                .isInstanceOf(IllegalStateException.class)
                .hasMessage("read connections were already set to 2");
    }

    @Test
    void a_count_out_of_range_is_refused_with_the_range() {
        assertThat(Settings.requireBetween("maximum pool size", 1, 1, 1000)).isEqualTo(1);
        assertThat(Settings.requireBetween("maximum pool size", 1000, 1, 1000)).isEqualTo(1000);
        assertThatThrownBy(() -> Settings.requireBetween("maximum pool size", 0, 1, 1000))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("maximum pool size must be between 1 and 1000, was 0");
        assertThatThrownBy(() -> Settings.requireBetween("read connections", 65, 1, 64))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("read connections must be between 1 and 64, was 65");
    }

    @Test
    void a_duration_out_of_range_is_refused_with_the_range_in_words() {
        Duration min = Duration.ofMillis(250);
        Duration max = Duration.ofDays(1);
        assertThat(Settings.requireBetween("connection timeout", min, min, max, "250 ms and 1 day"))
                .isEqualTo(min);
        assertThat(Settings.requireBetween("connection timeout", max, min, max, "250 ms and 1 day"))
                .isEqualTo(max);
        assertThatThrownBy(() -> Settings.requireBetween(
                        "connection timeout", Duration.ofMillis(249), min, max, "250 ms and 1 day"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("connection timeout must be between 250 ms and 1 day, was PT0.249S");
        assertThatThrownBy(() -> Settings.requireBetween(
                        "gather delay", Duration.ofMillis(-1), Duration.ZERO, Duration.ofSeconds(1), "0 and 1 second"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("gather delay must be between 0 and 1 second, was PT-0.001S");
    }

    @Test
    void a_duration_below_its_minimum_is_refused_with_the_minimum() {
        Duration min = Duration.ofMillis(250);
        assertThat(Settings.requireAtLeast("connection timeout", min, min)).isEqualTo(min);
        assertThatThrownBy(() -> Settings.requireAtLeast("connection timeout", Duration.ofMillis(100), min))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("connection timeout must be at least PT0.25S, was PT0.1S");
    }
}
