package io.evento.rocksdb;

import io.evento.tck.fixtures.UtcClock;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A clock that can hold the writer thread: the writer reads the clock while it stages a lease
 * operation, so once {@linkplain #close() closed}, the next lease operation parks the writer until
 * the gate {@linkplain #open() opens}. Meanwhile writes pile up in the queue, and the writer takes
 * them as one group afterwards — which makes group composition deterministic in tests.
 */
final class WriterGate extends UtcClock {
    private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

    private volatile CountDownLatch gate;
    private final CountDownLatch held = new CountDownLatch(1);

    /** The next clock reading will hold its thread until {@link #open()}. */
    void close() {
        gate = new CountDownLatch(1);
    }

    /** Lets the held thread go on. */
    void open() {
        gate.countDown();
    }

    /** Waits until a thread is held at the gate. */
    void awaitHeld() throws InterruptedException {
        if (!held.await(20, TimeUnit.SECONDS)) {
            throw new AssertionError("the writer never reached the gate");
        }
    }

    @Override
    public Instant instant() {
        CountDownLatch g = gate;
        if (g != null && g.getCount() > 0) {
            held.countDown();
            try {
                if (!g.await(30, TimeUnit.SECONDS)) {
                    throw new AssertionError("the gate was never opened");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return NOW;
    }
}
