package io.evento.rocksdb;

import io.evento.Page;
import io.evento.PageRequest;
import io.evento.internal.Ulids;
import io.evento.spi.Executor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** Events to write in tests. */
final class TestEvents {
    private TestEvents() {}

    /** Events {@code from..to} of one aggregate. */
    static List<StoredEvent> events(String type, String id, int from, int to, Optional<String> routingKey) {
        List<StoredEvent> events = new ArrayList<>();
        for (int v = from; v <= to; v++) {
            events.add(new StoredEvent(
                    Ulids.next(),
                    type,
                    id,
                    v,
                    "Event" + v,
                    routingKey,
                    ("{\"v\":" + v + "}").getBytes(StandardCharsets.UTF_8),
                    "{}".getBytes(StandardCharsets.UTF_8),
                    1_700_000_000_000_000L + v));
        }
        return events;
    }

    static List<StoredEvent> events(String type, String id, int from, int to) {
        return events(type, id, from, to, Optional.empty());
    }

    /** Every event of a small store, in global order. */
    static List<StoredEvent> all(Executor executor) {
        // Page by page: a racing test can write more than one page holds.
        List<StoredEvent> all = new ArrayList<>();
        Page<StoredEvent> page = executor.read(ReadQuery.all(PageRequest.forward(10_000)));
        all.addAll(page.nodes());
        while (page.pageInfo().hasNextPage()) {
            String after = page.pageInfo().endCursor().orElseThrow();
            page = executor.read(ReadQuery.all(PageRequest.forward(10_000, after)));
            all.addAll(page.nodes());
        }
        return all;
    }
}
