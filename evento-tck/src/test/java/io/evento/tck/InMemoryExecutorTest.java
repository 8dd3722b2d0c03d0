package io.evento.tck;

import io.evento.memory.InMemoryExecutor;
import io.evento.spi.Executor;

/** Runs the whole conformance suite against the in-memory reference executor. */
class InMemoryExecutorTest extends ExecutorTck {
    @Override
    protected Executor newExecutor() {
        return InMemoryExecutor.create();
    }
}
