package io.evento.tck;

import io.evento.memory.InMemoryExecutor;
import io.evento.spi.Executor;
import org.junit.jupiter.api.AfterEach;

/**
 * Runs the registration scenarios on the in-memory executor until {@link ExecutorTck} runs them as
 * a nested suite on every backend.
 */
class InMemoryRegistrationTest extends RegistrationScenarios {
    private final InMemoryExecutor store = InMemoryExecutor.create();

    @Override
    protected Executor store() {
        return store;
    }

    @AfterEach
    void close() {
        store.close();
    }
}
