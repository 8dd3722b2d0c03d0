package io.evento.spi;

import io.evento.Page;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An executor that passes every call on to another one: extend it and override the calls to
 * decorate (metrics, tracing, fault injection in tests), instead of forwarding all the others by
 * hand. The composite executors are built the same way: what they do not change goes to one
 * member.
 */
public abstract class ForwardingExecutor implements Executor {
    private final Executor delegate;

    /**
     * Forwards to {@code delegate}.
     *
     * @param delegate the executor that does the work
     */
    protected ForwardingExecutor(Executor delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /**
     * The executor calls are passed to; overridable, for example to fail every call once a test
     * has "killed" the store.
     *
     * @return the delegate
     */
    protected Executor delegate() {
        return delegate;
    }

    @Override
    public void write(List<StoredEvent> events) {
        delegate().write(events);
    }

    @Override
    public Page<StoredEvent> read(ReadQuery query) {
        return delegate().read(query);
    }

    @Override
    public List<StoredEvent> readAggregate(String aggregatorType, String aggregatorId, int afterVersion, int limit) {
        return delegate().readAggregate(aggregatorType, aggregatorId, afterVersion, limit);
    }

    @Override
    public Optional<StoredEvent> lastEvent(String aggregatorType, String aggregatorId) {
        return delegate().lastEvent(aggregatorType, aggregatorId);
    }

    @Override
    public Optional<Lease> acquireLease(String key, String workerId, Duration ttl) {
        return delegate().acquireLease(key, workerId, ttl);
    }

    @Override
    public void releaseLease(Lease lease) {
        delegate().releaseLease(lease);
    }

    @Override
    public Optional<String> subscriberCursor(String key) {
        return delegate().subscriberCursor(key);
    }

    @Override
    public Optional<SubscriberState> subscriber(String key) {
        return delegate().subscriber(key);
    }

    @Override
    public void acknowledge(Lease lease, String cursor) {
        delegate().acknowledge(lease, cursor);
    }

    @Override
    public void resetSubscriber(String key, Optional<String> cursor) {
        delegate().resetSubscriber(key, cursor);
    }

    @Override
    public void pauseSubscriber(String key, boolean paused) {
        delegate().pauseSubscriber(key, paused);
    }

    @Override
    public void park(Lease lease, ParkedEvent event) {
        delegate().park(lease, event);
    }

    @Override
    public List<ParkedEvent> parked(String key, int limit) {
        return delegate().parked(key, limit);
    }

    @Override
    public boolean unpark(String key, String eventId) {
        return delegate().unpark(key, eventId);
    }

    @Override
    public Registration onCommit(Runnable listener) {
        return delegate().onCommit(listener);
    }

    @Override
    public Optional<StoredSnapshot> snapshot(String projection, String aggregatorType, String aggregatorId) {
        return delegate().snapshot(projection, aggregatorType, aggregatorId);
    }

    @Override
    public void saveSnapshot(StoredSnapshot snapshot) {
        delegate().saveSnapshot(snapshot);
    }

    @Override
    public void close() {
        delegate().close();
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + delegate() + "]";
    }
}
