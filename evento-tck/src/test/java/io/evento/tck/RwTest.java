package io.evento.tck;

import io.evento.composite.Rw;
import io.evento.memory.InMemoryExecutor;
import io.evento.spi.Executor;

/** A read/write split over one store (a replica with no lag) behaves exactly like the store. */
class RwTest extends ExecutorTck {
    @Override
    protected Executor newExecutor() {
        InMemoryExecutor store = InMemoryExecutor.create();
        return Rw.of(store, store);
    }
}
