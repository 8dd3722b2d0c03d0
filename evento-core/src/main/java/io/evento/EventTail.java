package io.evento;

import io.evento.spi.Executor;
import io.evento.spi.ReadQuery;
import io.evento.spi.StoredEvent;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Optional;
import java.util.Spliterator;
import java.util.Spliterators;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.stream.StreamSupport;

/**
 * A live view of the log: the events matching a query, then every new one as it is committed,
 * without a durable checkpoint. From {@link Evento#tail(ReadQuery)}.
 *
 * <pre>{@code
 * try (EventTail tail = evento.tail(ReadQuery.of(PageRequest.forward(100), EventFilter.type(Account.class)))) {
 *     while (running) {
 *         tail.poll(Duration.ofSeconds(1)).ifPresent(this::show);
 *     }
 * }
 * }</pre>
 *
 * <p>It pulls one page at a time, only when the previous one is consumed, so a slow consumer holds
 * at most one page in memory (back-pressure by construction). It is woken at once by executors that
 * announce commits and polls otherwise. Use it from one thread; {@link #close()} may be called from
 * any thread and ends a blocked {@link #next()}.
 */
public final class EventTail implements Iterator<Event<?>>, AutoCloseable {
    private final Evento evento;
    private final ReadQuery query;
    private final Duration pollInterval;
    private final ArrayDeque<Edge<StoredEvent>> buffer = new ArrayDeque<>();
    /** Events an upcaster split one stored event into, not returned yet. */
    private final ArrayDeque<Event<?>> decoded = new ArrayDeque<>();

    private final Wakeup wakeup = new Wakeup();
    private final Wakeup.Waiter waiter = wakeup.waiter();
    private final Executor.Registration registration;
    private Optional<String> cursor;
    private Optional<String> pendingCursor = Optional.empty();
    private volatile boolean closed;

    EventTail(Evento evento, ReadQuery query, Duration pollInterval) {
        this.evento = evento;
        this.query = Objects.requireNonNull(query, "query");
        if (!query.page().isForward()) {
            throw new IllegalArgumentException("a tail reads forward; use PageRequest.forward(..)");
        }
        this.pollInterval = pollInterval;
        this.cursor = query.page().cursor();
        this.registration = evento.executor().onCommit(wakeup::wake);
    }

    /**
     * The next event, waiting at most {@code timeout} for one to be committed.
     *
     * @param timeout the longest wait
     * @return the event, or empty if none came in time or the tail was closed
     */
    public Optional<Event<?>> poll(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!closed) {
            if (!decoded.isEmpty()) {
                Event<?> next = decoded.removeFirst();
                if (decoded.isEmpty()) {
                    // Past a split event only once its last part is returned, so resuming from
                    // the cursor never loses a part.
                    cursor = pendingCursor;
                }
                return Optional.of(next);
            }
            if (fill()) {
                // Decode before moving on: an event that fails to decode stays next, not lost.
                List<Event<?>> events = evento.decodeAll(buffer.getFirst().node());
                Optional<String> after = Optional.of(buffer.removeFirst().cursor());
                if (events.isEmpty()) {
                    cursor = after;
                }
                pendingCursor = after;
                decoded.addAll(events);
                continue;
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return Optional.empty();
            }
            waiter.await(Duration.ofNanos(Math.min(left, pollInterval.toNanos())));
        }
        return Optional.empty();
    }

    /**
     * Whether the tail is open: a tail has no end, so {@link #next()} waits for the next event.
     *
     * @return {@code true} until closed
     */
    @Override
    public boolean hasNext() {
        return !closed;
    }

    /**
     * The next event, waiting for one to be committed if needed.
     *
     * @return the event
     * @throws NoSuchElementException if the tail is closed, also while waiting
     */
    @Override
    public Event<?> next() {
        while (true) {
            Optional<Event<?>> next = poll(pollInterval);
            if (next.isPresent()) {
                return next.get();
            }
            if (closed) {
                throw new NoSuchElementException("the tail is closed");
            }
        }
    }

    /**
     * The position after the last event returned, to resume from later with {@link
     * PageRequest#forward(int, String)}.
     *
     * @return the cursor, or the query's cursor if nothing was returned yet
     */
    public Optional<String> cursor() {
        return cursor;
    }

    /**
     * This tail as a sequential stream that ends when the tail is closed; closing the stream closes
     * the tail.
     *
     * @return the stream
     */
    public Stream<Event<?>> stream() {
        Spliterator<Event<?>> events =
                new Spliterators.AbstractSpliterator<>(Long.MAX_VALUE, Spliterator.ORDERED | Spliterator.NONNULL) {
                    @Override
                    public boolean tryAdvance(Consumer<? super Event<?>> action) {
                        while (!closed) {
                            Optional<Event<?>> next = poll(pollInterval);
                            if (next.isPresent()) {
                                action.accept(next.get());
                                return true;
                            }
                        }
                        return false;
                    }
                };
        return StreamSupport.stream(events, false).onClose(this::close);
    }

    /** Stops the tail and wakes a blocked {@link #next()}. Idempotent. */
    @Override
    public void close() {
        closed = true;
        registration.close();
        wakeup.wake();
    }

    private boolean fill() {
        if (!buffer.isEmpty()) {
            return true;
        }
        Optional<String> after = cursor;
        Page<StoredEvent> page = evento.executor()
                .read(new ReadQuery(
                        query.filters(),
                        query.routing(),
                        new PageRequest(
                                PageRequest.Direction.FORWARD, query.page().size(), after)));
        buffer.addAll(page.edges());
        return !buffer.isEmpty();
    }
}
