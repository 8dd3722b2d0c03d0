package io.evento.tck;

import io.evento.composite.Group;
import io.evento.memory.InMemoryExecutor;
import io.evento.spi.Executor;

/** A group whose second member is empty behaves exactly like its first member. */
class GroupOfTwoTest extends ExecutorTck {
    @Override
    protected Executor newExecutor() {
        return Group.of(InMemoryExecutor.create(), InMemoryExecutor.create());
    }
}
