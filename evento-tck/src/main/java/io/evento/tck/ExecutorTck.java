package io.evento.tck;

import io.evento.spi.Executor;

/**
 * The conformance suite. A backend extends it with one small class that returns a fresh, empty
 * store:
 *
 * <pre>{@code
 * class InMemoryExecutorTest extends ExecutorTck {
 *     @Override
 *     protected Executor newExecutor() {
 *         return InMemoryExecutor.create();
 *     }
 * }
 * }</pre>
 *
 * <p>Every scenario lives in a {@code @Nested} class here, so the subclass inherits all of them.
 * No scenario is skipped or conditional: a backend passes all of them or it does not conform.
 */
public abstract class ExecutorTck {

    /**
     * A new, empty store, distinct from every store returned before. The suite closes it.
     *
     * @return the executor
     */
    protected abstract Executor newExecutor();
}
