package io.evento;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class EdgeTest {

    @Test
    void a_lazy_edge_encodes_its_cursor_on_first_use_only() {
        AtomicInteger encoded = new AtomicInteger();
        Edge<String> edge = Edge.lazy("event", () -> "cursor-" + encoded.incrementAndGet());

        assertThat(encoded).hasValue(0);
        assertThat(edge.cursor()).isEqualTo("cursor-1");
        assertThat(edge.cursor()).isEqualTo("cursor-1");
        assertThat(encoded).hasValue(1);
    }

    @Test
    void mapping_keeps_the_place_and_the_laziness() {
        AtomicInteger encoded = new AtomicInteger();
        Edge<String> edge = Edge.lazy("event", () -> "c" + encoded.incrementAndGet());

        Edge<Integer> mapped = edge.map(String::length);
        assertThat(encoded).hasValue(0);
        assertThat(mapped.node()).isEqualTo(5);
        assertThat(mapped.cursor()).isEqualTo("c1");

        Edge<String> eager = new Edge<>("x", "c9");
        assertThat(eager.map(String::toUpperCase)).isEqualTo(new Edge<>("X", "c9"));
    }

    @Test
    void edges_are_equal_by_node_and_cursor_however_the_cursor_was_made() {
        Edge<String> lazy = Edge.lazy("event", () -> "c1");
        Edge<String> eager = new Edge<>("event", "c1");

        assertThat(lazy).isEqualTo(eager).hasSameHashCodeAs(eager);
        assertThat(lazy).isNotEqualTo(new Edge<>("event", "c2"));
        assertThat(lazy).hasToString("Edge[node=event, cursor=c1]");
        Page<String> page = Page.of(List.of(lazy), false, false);
        assertThat(page.map(String::length).edges()).containsExactly(new Edge<>(5, "c1"));
    }

    @Test
    void null_nodes_cursors_and_encoders_are_refused() {
        assertThatThrownBy(() -> new Edge<>(null, "c")).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> new Edge<>("n", null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> Edge.lazy("n", null)).isInstanceOf(NullPointerException.class);
        Edge<String> broken = Edge.lazy("n", () -> null);
        assertThatThrownBy(broken::cursor).isInstanceOf(NullPointerException.class);
    }

    @Test
    void an_edge_serializes_to_json_as_its_node_and_cursor() throws Exception {
        Edge<String> lazy = Edge.lazy("event", () -> "c1");
        assertThat(new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(lazy))
                .isEqualTo("{\"node\":\"event\",\"cursor\":\"c1\"}");
    }
}
