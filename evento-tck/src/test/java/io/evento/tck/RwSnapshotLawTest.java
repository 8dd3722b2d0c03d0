package io.evento.tck;

import io.evento.composite.Rw;
import io.evento.memory.InMemoryExecutor;
import io.evento.spi.Executor;

/** The snapshot law on a read/write split over one in-memory store. */
class RwSnapshotLawTest extends SnapshotLaw {
    @Override
    protected Executor newExecutor() {
        InMemoryExecutor store = InMemoryExecutor.create();
        return Rw.of(store, store);
    }
}
