/**
 * The conformance suite: abstract JUnit 5 tests that every {@link io.evento.spi.Executor} passes
 * ({@link io.evento.tck.ExecutorTck} and the suites beside it), and, in {@code
 * io.evento.tck.fixtures}, test support for a backend's own tests.
 */
module io.evento.tck {
    requires transitive io.evento.core;
    requires transitive org.junit.jupiter.api;
    requires transitive org.junit.jupiter.params;
    requires org.assertj.core;
    requires awaitility;
    requires transitive net.jqwik.api;
    requires transitive java.sql;
    requires com.github.f4b6a3.ulid;

    exports io.evento.tck;
    exports io.evento.tck.domain;
    exports io.evento.tck.fixtures;

    opens io.evento.tck to
            org.junit.platform.commons;
    opens io.evento.tck.domain to
            com.fasterxml.jackson.databind;
}
