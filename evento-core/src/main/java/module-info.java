/**
 * Evento core: events, commits, projections, pagination, the {@link io.evento.spi.Executor} SPI,
 * the JSON codec and the in-memory executor.
 */
module io.evento.core {
    requires transitive com.fasterxml.jackson.databind;
    requires com.fasterxml.jackson.datatype.jsr310;
    requires com.fasterxml.jackson.datatype.jdk8;
    requires com.github.f4b6a3.ulid;
    requires org.slf4j;
    requires transitive java.sql;

    exports io.evento;
    exports io.evento.spi;
    exports io.evento.memory;
    exports io.evento.composite;
    exports io.evento.internal to
            io.evento.sqlite,
            io.evento.postgres,
            io.evento.mysql,
            io.evento.rocksdb;
    exports io.evento.internal.sql to
            io.evento.sqlite,
            io.evento.postgres,
            io.evento.mysql;

    opens io.evento to
            com.fasterxml.jackson.databind;
}
