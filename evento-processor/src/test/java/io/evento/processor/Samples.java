package io.evento.processor;

/** Sample sources shared by the tests. */
final class Samples {
    private Samples() {}

    /** An event family with a nested sealed group of events. */
    static final String ACCOUNT = """
            package bank;

            import io.evento.Aggregate;

            @Aggregate("test/Account")
            public sealed interface Account {
                record Opened(String owner, long amount) implements Account {}

                record Deposited(long amount) implements Account {}

                record Withdrawn(long amount) implements Account {}

                sealed interface Admin extends Account {}

                record Frozen(String reason) implements Admin {}

                record Closed(String reason) implements Admin {}
            }
            """;

    /** Another family. */
    static final String CUSTOMER = """
            package bank;

            import io.evento.Aggregate;

            @Aggregate("test/Customer")
            public sealed interface Customer {
                record Registered(String name) implements Customer {}
            }
            """;

    /** A projection state. */
    static final String BALANCE = """
            package bank;

            public record Balance(String owner, long amount) {
                public Balance plus(long cents) {
                    return new Balance(owner, amount + cents);
                }
            }
            """;
}
