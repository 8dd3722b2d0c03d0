package io.evento.composite;

import io.evento.Edge;
import io.evento.InvalidCursorException;
import io.evento.Limits;
import io.evento.Page;
import io.evento.PageRequest;
import io.evento.PageRequest.Direction;
import io.evento.spi.Executor;
import io.evento.spi.ForwardingExecutor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * Several executors read as one: their logs merged into one stream, writes going to the first.
 * Evento's {@code EventoGroup}; use it to read an old store and a new one together, or several
 * regional stores.
 *
 * <h2>Merged order and cursors</h2>
 *
 * <p>Each member keeps its own global order; the group interleaves the members by commit
 * timestamp (ties by member order), never reordering events of one member. A group cursor holds one
 * cursor per member: the last event of that member at or before the edge. Reading forward from it
 * continues each member exactly where it stopped, so paging a group never repeats or skips an
 * event, whatever arrives in the members between two pages. (Evento keeps one timestamp cursor for
 * the whole group, which skips events that share a timestamp across stores.)
 *
 * <p>When a member's own timestamps are not monotonic in its order (clocks of several writers),
 * forward and backward paging may interleave members differently; each member's events still
 * appear once, in their order.
 *
 * <h2>Everything else</h2>
 *
 * <p>Writes, leases, checkpoints and snapshots go to the first member; an aggregate whose events
 * live in another member can be loaded but not appended to. {@link #readAggregate} and {@link
 * #lastEvent} read the aggregate from the first member that holds it (an aggregate is not split
 * across members). Closing the group closes every member.
 */
public final class Group extends ForwardingExecutor {
    private static final String VERSION = "g1";
    private static final String START = "-";
    private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
    private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

    private final List<Executor> members;

    private Group(List<Executor> members) {
        // What is not overridden here (writes, subscribers, dead letters, snapshots) goes to the
        // first member.
        super(members.getFirst());
        this.members = List.copyOf(members);
    }

    /**
     * A group reading {@code first} and {@code others}, writing to {@code first}.
     *
     * @param first the member that receives writes, leases, checkpoints and snapshots
     * @param others further members, read only through the group
     * @return the group
     */
    public static Group of(Executor first, Executor... others) {
        List<Executor> all = new ArrayList<>();
        all.add(Objects.requireNonNull(first, "first"));
        for (Executor other : others) {
            all.add(Objects.requireNonNull(other, "member"));
        }
        if (all.stream().distinct().count() != all.size()) {
            throw new IllegalArgumentException("an executor appears twice in the group");
        }
        return new Group(all);
    }

    @Override
    public Page<StoredEvent> read(ReadQuery query) {
        PageRequest page = query.page();
        Optional<GroupCursor> cursor = page.cursor().map(this::decode);
        return page.isForward() ? forward(query, page.size(), cursor) : backward(query, page.size(), cursor);
    }

    private Page<StoredEvent> forward(ReadQuery query, int size, Optional<GroupCursor> cursor) {
        int n = members.size();
        List<List<Edge<StoredEvent>>> candidates = new ArrayList<>(n);
        boolean[] more = new boolean[n];
        String[] consumed = new String[n];
        for (int m = 0; m < n; m++) {
            int member = m;
            Optional<String> after = cursor.flatMap(c -> c.member(member));
            Page<StoredEvent> p = members.get(m)
                    .read(new ReadQuery(
                            query.filters(), query.routing(), new PageRequest(Direction.FORWARD, size, after)));
            candidates.add(p.edges());
            more[m] = p.pageInfo().hasNextPage();
            consumed[m] = after.orElse(null);
        }
        int[] next = new int[n];
        List<Edge<StoredEvent>> edges = new ArrayList<>(size);
        while (edges.size() < size) {
            int best = -1;
            for (int m = 0; m < n; m++) {
                if (next[m] < candidates.get(m).size()
                        && (best < 0
                                || timestamp(candidates.get(m).get(next[m]))
                                        < timestamp(candidates.get(best).get(next[best])))) {
                    best = m;
                }
            }
            if (best < 0) {
                break;
            }
            Edge<StoredEvent> e = candidates.get(best).get(next[best]++);
            consumed[best] = e.cursor();
            edges.add(new Edge<>(e.node(), encode(best, consumed)));
        }
        boolean hasNext = false;
        for (int m = 0; m < n; m++) {
            hasNext |= next[m] < candidates.get(m).size() || more[m];
        }
        return Page.of(edges, cursor.isPresent(), hasNext);
    }

    private Page<StoredEvent> backward(ReadQuery query, int size, Optional<GroupCursor> cursor) {
        int n = members.size();
        List<List<Edge<StoredEvent>>> candidates = new ArrayList<>(n);
        boolean[] older = new boolean[n];
        for (int m = 0; m < n; m++) {
            Executor member = members.get(m);
            int index = m;
            Optional<String> bound = cursor.flatMap(c -> c.member(index));
            List<Edge<StoredEvent>> list = new ArrayList<>();
            if (cursor.isEmpty()) {
                Page<StoredEvent> p = member.read(withPage(query, PageRequest.backward(size)));
                list.addAll(p.edges());
                older[m] = p.pageInfo().hasPreviousPage();
            } else if (bound.isPresent()) {
                Page<StoredEvent> p = member.read(withPage(query, PageRequest.backward(size, bound.get())));
                list.addAll(p.edges());
                older[m] = p.pageInfo().hasPreviousPage();
                if (m != cursor.get().owner()) {
                    // The cursor's member events are inclusive bounds; the owner's is the edge itself,
                    // which a backward read excludes. Fetch the bound's own event for the others:
                    // it is the first event after the last one before it.
                    Optional<String> predecessor = list.isEmpty()
                            ? Optional.empty()
                            : Optional.of(list.getLast().cursor());
                    Page<StoredEvent> self =
                            member.read(withPage(query, new PageRequest(Direction.FORWARD, 1, predecessor)));
                    // Only if it is the bound's own event: a cursor from a read with other filters
                    // may point at an event this query does not select, and the next one that it
                    // does select lies after the bound.
                    self.edges().stream()
                            .filter(e -> e.cursor().equals(bound.get()))
                            .forEach(list::add);
                }
            }
            candidates.add(list);
        }
        int[] remaining = new int[n];
        for (int m = 0; m < n; m++) {
            remaining[m] = candidates.get(m).size();
        }
        List<Integer> owners = new ArrayList<>();
        List<Edge<StoredEvent>> taken = new ArrayList<>();
        while (taken.size() < size) {
            int best = -1;
            for (int m = 0; m < n; m++) {
                if (remaining[m] > 0
                        && (best < 0
                                || timestamp(candidates.get(m).get(remaining[m] - 1))
                                        >= timestamp(candidates.get(best).get(remaining[best] - 1)))) {
                    best = m;
                }
            }
            if (best < 0) {
                break;
            }
            taken.add(candidates.get(best).get(--remaining[best]));
            owners.add(best);
        }
        // Cursor of an edge: per member, the last of its events at or before the edge. Before the
        // page's first event of a member, that is its newest untaken candidate, or the event just
        // before the candidates, which one more read finds.
        String[] consumed = new String[n];
        boolean hasPrevious = false;
        for (int m = 0; m < n; m++) {
            if (remaining[m] > 0) {
                consumed[m] = candidates.get(m).get(remaining[m] - 1).cursor();
                hasPrevious = true;
            } else if (older[m]) {
                List<Edge<StoredEvent>> c = candidates.get(m);
                Page<StoredEvent> before = members.get(m)
                        .read(withPage(
                                query, PageRequest.backward(1, c.getFirst().cursor())));
                consumed[m] = before.edges().getLast().cursor();
                hasPrevious = true;
            }
        }
        List<Edge<StoredEvent>> edges = new ArrayList<>(taken.size());
        for (int k = taken.size() - 1; k >= 0; k--) {
            int owner = owners.get(k);
            Edge<StoredEvent> e = taken.get(k);
            consumed[owner] = e.cursor();
            edges.add(new Edge<>(e.node(), encode(owner, consumed)));
        }
        return Page.of(edges, hasPrevious, cursor.isPresent());
    }

    private static ReadQuery withPage(ReadQuery query, PageRequest page) {
        return new ReadQuery(query.filters(), query.routing(), page);
    }

    private static long timestamp(Edge<StoredEvent> e) {
        return e.node().timestampMicros();
    }

    @Override
    public List<StoredEvent> readAggregate(String aggregatorType, String aggregatorId, int afterVersion, int limit) {
        for (Executor member : members) {
            List<StoredEvent> events = member.readAggregate(aggregatorType, aggregatorId, afterVersion, limit);
            if (!events.isEmpty()
                    || (afterVersion > 0
                            && member.lastEvent(aggregatorType, aggregatorId).isPresent())) {
                return events;
            }
        }
        return List.of();
    }

    @Override
    public Optional<StoredEvent> lastEvent(String aggregatorType, String aggregatorId) {
        for (Executor member : members) {
            Optional<StoredEvent> last = member.lastEvent(aggregatorType, aggregatorId);
            if (last.isPresent()) {
                return last;
            }
        }
        return Optional.empty();
    }

    @Override
    public Registration onCommit(Runnable listener) {
        List<Registration> registrations =
                members.stream().map(m -> m.onCommit(listener)).toList();
        return () -> registrations.forEach(Registration::close);
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        for (Executor member : members) {
            try {
                member.close();
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    @Override
    public String toString() {
        return "Group" + members;
    }

    /** A decoded group cursor: the member owning the edge and each member's inclusive cursor. */
    private record GroupCursor(int owner, String[] members) {
        Optional<String> member(int index) {
            return Optional.ofNullable(members[index]);
        }
    }

    private String encode(int owner, String[] consumed) {
        StringBuilder body = new StringBuilder(VERSION).append('.').append(owner);
        for (String c : consumed) {
            body.append('.').append(c == null ? START : c);
        }
        String text = body.toString();
        return ENCODER.encodeToString((text + "." + checksum(text)).getBytes(StandardCharsets.UTF_8));
    }

    private GroupCursor decode(String cursor) {
        String text;
        try {
            text = new String(DECODER.decode(cursor), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            throw invalid(cursor, "not URL-safe base64");
        }
        int lastDot = text.lastIndexOf('.');
        if (lastDot < 0 || !text.startsWith(VERSION + ".")) {
            throw invalid(cursor, "not a group cursor");
        }
        String body = text.substring(0, lastDot);
        if (!text.substring(lastDot + 1).equals(checksum(body))) {
            throw invalid(cursor, "checksum mismatch (the cursor was altered or truncated)");
        }
        String[] fields = body.split("\\.", -1);
        if (fields.length != 2 + members.size()) {
            throw invalid(
                    cursor, "cursor of a group of " + (fields.length - 2) + " members, this one has " + members.size());
        }
        int owner;
        try {
            owner = Integer.parseInt(fields[1]);
        } catch (NumberFormatException e) {
            throw invalid(cursor, "malformed owner");
        }
        if (owner < 0 || owner >= members.size()) {
            throw invalid(cursor, "malformed owner");
        }
        String[] parts = Arrays.copyOfRange(fields, 2, fields.length);
        for (int i = 0; i < parts.length; i++) {
            if (parts[i].equals(START)) {
                parts[i] = null;
            } else if (parts[i].length() > Limits.CURSOR_MAX_LENGTH) {
                throw invalid(cursor, "member cursor too long");
            }
        }
        if (parts[owner] == null) {
            throw invalid(cursor, "the owning member has no position");
        }
        return new GroupCursor(owner, parts);
    }

    private static String checksum(String text) {
        CRC32 crc = new CRC32();
        crc.update(text.getBytes(StandardCharsets.UTF_8));
        return Long.toHexString(crc.getValue());
    }

    private static InvalidCursorException invalid(String cursor, String why) {
        String shown = cursor.length() > 60 ? cursor.substring(0, 57) + "..." : cursor;
        return new InvalidCursorException("invalid cursor '" + shown + "': " + why);
    }
}
