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

    @Test
    void stored_metadata_that_is_not_an_object_with_a_text_id_is_rejected() {
        for (String bad : List.of("[]", "\"id\"", "{\"id\":42}", "{\"id\":{\"a\":1}}", "{\"id\":null}", "{")) {
            assertThatThrownBy(() -> MetadataJson.decode(bad.getBytes(StandardCharsets.UTF_8)))
                    .as(bad)
                    .isInstanceOf(java.io.IOException.class);
        }
    }

    @Test
    void stored_metadata_is_read_like_its_json_tree() throws Exception {
        // Nested entries, a non-text requestedBy, a later duplicate id, and an eventVersion that is
        // not a schema version (it stays an entry) next to one that is.
        String json = "{\"id\":\"first\",\"nested\":{\"a\":[1,{\"b\":null}]},\"requestedBy\":7,"
                + "\"eventVersion\":\"two\",\"id\":\"second\",\"requestedAs\":\"ops\",\"n\":null}";
        MetadataJson.Stored stored = MetadataJson.decodeStored(json.getBytes(StandardCharsets.UTF_8));
        assertThat(stored.eventVersion()).isEqualTo(1);
        Metadata m = stored.metadata();
        assertThat(m.id()).isEqualTo("second");
        assertThat(m.requestedBy()).contains("7");
        assertThat(m.requestedAs()).contains("ops");
        assertThat(m.keys()).containsExactly("nested", "eventVersion", "n");
        assertThat(m.get("eventVersion", String.class)).contains("two");
        assertThat(m.entries().get("nested").toString()).isEqualTo("{\"a\":[1,{\"b\":null}]}");

        MetadataJson.Stored versioned =
                MetadataJson.decodeStored("{\"id\":\"x\",\"eventVersion\":3}".getBytes(StandardCharsets.UTF_8));
        assertThat(versioned.eventVersion()).isEqualTo(3);
        assertThat(versioned.metadata().keys()).isEmpty();
    }

    @Test
    void a_tree_taken_from_metadata_is_a_copy() throws Exception {
        Metadata m = MetadataJson.decode("{\"id\":\"x\",\"ctx\":{\"a\":1}}".getBytes(StandardCharsets.UTF_8));
        com.fasterxml.jackson.databind.node.ObjectNode taken = m.get(
                        "ctx", com.fasterxml.jackson.databind.node.ObjectNode.class)
                .orElseThrow();
        taken.put("a", 2);
        assertThat(m.get("ctx", com.fasterxml.jackson.databind.JsonNode.class)
                        .orElseThrow()
                        .get("a")
                        .asInt())
                .isEqualTo(1);
    }
}
