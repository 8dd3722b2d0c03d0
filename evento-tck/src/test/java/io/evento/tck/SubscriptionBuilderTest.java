package io.evento.tck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.evento.Evento;
import io.evento.Subscription;
import io.evento.memory.InMemoryExecutor;
import io.evento.tck.domain.Account;
import io.evento.tck.domain.Audit;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Bad subscription definitions are refused when built, with a message naming the problem. */
class SubscriptionBuilderTest {
    private final Evento evento =
            Evento.builder(InMemoryExecutor.create()).register(Account.class).build();

    @Test
    void keys_must_leave_room_for_partition_suffixes_and_must_not_contain_the_separator() {
        assertThatThrownBy(() -> evento.subscription("a#b"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'#'");
        assertThatThrownBy(() -> evento.subscription("k".repeat(90)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("89");
        assertThatThrownBy(() -> evento.subscription("")).isInstanceOf(IllegalArgumentException.class);
        assertThat(evento.subscription("k".repeat(89))
                        .on(Account.class, (e, c) -> {})
                        .partitions(1_000)
                        .build()
                        .keys())
                .hasSize(1_000)
                .last()
                .isEqualTo("k".repeat(89) + "#999/1000");
    }

    @Test
    void handlers_must_be_of_registered_families_and_unique() {
        Subscription.Builder builder = evento.subscription("s").on(Account.Opened.class, (e, c) -> {});

        assertThatThrownBy(() -> builder.on(Account.Opened.class, (e, c) -> {}))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("already has a handler");
        assertThatThrownBy(() -> builder.on(Audit.class, (e, c) -> {}))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("not registered");
        assertThatThrownBy(() -> builder.skip(Account.Opened.class)).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> evento.subscription("empty").build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("no handler");
    }

    @Test
    void settings_out_of_range_are_refused() {
        Subscription.Builder b = evento.subscription("s");
        assertThatThrownBy(() -> b.chunkSize(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.chunkSize(10_001)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.retry(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.backoff(Duration.ofSeconds(2), Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("shorter");
        assertThatThrownBy(() -> b.backoff(Duration.ZERO, Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.delay(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.leaseTtl(Duration.ofMillis(99))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.pollInterval(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.partitions(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> b.workerId("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void a_transactional_subscription_needs_a_jdbc_executor() {
        assertThatThrownBy(() -> evento.subscription("tx").transactional())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("JDBC");
    }

    @Test
    void execute_refuses_to_run_while_another_worker_holds_the_lease() {
        evento.executor().acquireLease("busy", "someone-else", Duration.ofMinutes(1));

        assertThatThrownBy(() -> evento.subscription("busy")
                        .on(Account.class, (e, c) -> {})
                        .execute())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("someone-else");
    }
}
