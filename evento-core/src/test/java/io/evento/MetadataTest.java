package io.evento;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetadataTest {

    record Device(String name, int version) {}

    @Test
    void metadata_is_immutable_and_with_returns_copies() {
        Metadata base = Metadata.create();
        Metadata changed = base.withRequestedBy("alice").with("ip", "10.0.0.1");
        assertThat(base.requestedBy()).isEmpty();
        assertThat(base.keys()).isEmpty();
        assertThat(changed.requestedBy()).contains("alice");
        assertThat(changed.id()).isEqualTo(base.id());
    }

    @Test
    void typed_entries_survive_the_stored_json_form() throws Exception {
        Metadata m = Metadata.create()
                .withId("req-1")
                .withRequestedBy("alice")
                .withRequestedAs("admin")
                .with("ip", "10.0.0.1")
                .with("attempt", 3)
                .with("device", new Device("phone", 2))
                .with("tags", List.of("a", "b"));
        Metadata back = MetadataJson.decode(MetadataJson.encode(m));
        assertThat(back).isEqualTo(m);
        assertThat(back.get("device", Device.class)).contains(new Device("phone", 2));
        assertThat(back.get("attempt", Integer.class)).contains(3);
        assertThat(back.get("missing", String.class)).isEmpty();
        assertThat(back.keys()).containsExactly("ip", "attempt", "device", "tags");
    }

    @Test
    void reserved_keys_and_null_values_are_refused() {
        assertThatThrownBy(() -> Metadata.create().with("requestedBy", "x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("withRequestedBy");
        assertThatThrownBy(() -> Metadata.create().with("k", null))
                .isInstanceOf(NullPointerException.class)
                .hasMessageContaining("'k'");
    }

    @Test
    void an_entry_of_the_wrong_type_is_a_clear_error() {
        Metadata m = Metadata.create().with("device", "not a device");
        assertThatThrownBy(() -> m.get("device", Device.class))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("metadata entry 'device'");
    }

    @Test
    void stored_metadata_without_an_id_is_rejected() {
        assertThatThrownBy(() -> MetadataJson.decode("{\"requestedBy\":\"x\"}".getBytes(StandardCharsets.UTF_8)))
                .hasMessageContaining("'id'");
    }
}
