package io.evento.tck;

import io.evento.memory.InMemoryExecutor;
import io.evento.spi.Executor;

/** The snapshot law on the in-memory executor and the composites over it. */
class InMemorySnapshotLawTest extends SnapshotLaw {
    @Override
    protected Executor newExecutor() {
        return InMemoryExecutor.create();
    }
}
