package io.evento.tck;

import io.evento.composite.Group;
import io.evento.memory.InMemoryExecutor;
import io.evento.spi.Executor;

/** The snapshot law on a group of two in-memory stores. */
class GroupSnapshotLawTest extends SnapshotLaw {
    @Override
    protected Executor newExecutor() {
        return Group.of(InMemoryExecutor.create(), InMemoryExecutor.create());
    }
}
