/** The conformance suite: abstract JUnit 5 tests that every {@link io.evento.spi.Executor} passes. */
module io.evento.tck {
    requires transitive io.evento.core;
    requires transitive org.junit.jupiter.api;
    requires transitive org.junit.jupiter.params;
    requires org.assertj.core;
    requires awaitility;
    requires transitive net.jqwik.api;

    exports io.evento.tck;
    exports io.evento.tck.domain;

    opens io.evento.tck to
            org.junit.platform.commons;
    opens io.evento.tck.domain to
            com.fasterxml.jackson.databind;
}
