package io.evento.processor;

import static io.evento.processor.Samples.ACCOUNT;
import static io.evento.processor.Samples.BALANCE;
import static io.evento.processor.Samples.CUSTOMER;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Locale;
import javax.tools.Diagnostic;
import javax.tools.JavaFileObject;
import org.junit.jupiter.api.Test;

/** Every mistake is a compile error on the element at fault, saying what is expected. */
class CompileErrorsTest {
    private static final String IMPORTS = """
            package bank;

            import io.evento.Event;
            import io.evento.Handle;
            import io.evento.Handlers;
            import io.evento.Projection;
            import io.evento.Subscription;

            """;

    // Projection handler shapes

    @Test
    void a_projection_handler_with_one_parameter() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    Balance opened(Event<Account.Opened> event) { return null; }
                }
                """,
                "opened(Event",
                "invalid projection handler opened: it returns a state, so it must be S m(S state, Event<E> event)"
                        + " or S m(S state, Event<E> event, Projection.Context context), where S is the state type and"
                        + " E an event of Account; it has 1 parameter (a subscription handler returns void:"
                        + " void m(Event<E> event, Subscription.Context context))");
    }

    @Test
    void a_projection_handler_whose_first_parameter_is_not_the_state() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    Balance opened(String state, Event<Account.Opened> event) { return null; }
                }
                """,
                "state,",
                "invalid projection handler opened: its first parameter is the state it folds into, so its type must"
                        + " be the return type Balance, but it is String");
    }

    @Test
    void a_projection_handler_whose_return_type_is_not_the_state() {
        assertError("""
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    Object opened(Balance state, Event<Account.Opened> event) { return null; }
                }
                """, "state,", "its type must be the return type Object, but it is Balance");
    }

    @Test
    void a_projection_handler_with_a_primitive_state() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    long opened(long state, Event<Account.Opened> event) { return 0; }
                }
                """,
                "opened(",
                "invalid projection handler opened: the state type must be a reference type, not long; use Long");
    }

    @Test
    void a_raw_event_parameter() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    @SuppressWarnings("rawtypes")
                    Balance opened(Balance state, Event event) { return state; }
                }
                """,
                "event)",
                "invalid projection handler opened: Event needs a type argument, the event it handles: Event<E>,"
                        + " where E is an event of Account or Account itself");
    }

    @Test
    void a_wildcard_event_parameter() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    Balance opened(Balance state, Event<? extends Account> event) { return state; }
                }
                """,
                "event)",
                "invalid projection handler opened: Event<? extends Account> has a wildcard; name the event exactly,"
                        + " as Event<E>, where E is an event of Account or Account itself");
    }

    @Test
    void an_event_record_instead_of_an_event_parameter() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    Balance opened(Balance state, Account.Opened event) { return state; }
                }
                """,
                "event)",
                "invalid projection handler opened: expected a parameter of type Event<E> here, where E is an event of"
                        + " Account or Account itself, but found Account.Opened");
    }

    @Test
    void a_projection_handler_with_a_subscription_context() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    Balance opened(Balance state, Event<Account.Opened> event, Subscription.Context context) {
                        return state;
                    }
                }
                """,
                "context)",
                "invalid projection handler opened: its third parameter must be a Projection.Context, not"
                        + " Subscription.Context");
    }

    @Test
    void a_projection_handler_that_throws_a_checked_exception() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    Balance opened(Balance state, Event<Account.Opened> event) throws java.io.IOException {
                        return state;
                    }
                }
                """,
                "opened(",
                "invalid projection handler opened: it must not throw the checked exception IOException");
    }

    @Test
    void a_state_type_the_generated_class_cannot_reach() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    private record Secret(long n) {}

                    @Handle
                    Secret opened(Secret state, Event<Account.Opened> event) { return state; }
                }
                """,
                "opened(",
                "the state type Fold.Secret is not accessible from package bank, where the generated FoldRegistration"
                        + " uses it; make Secret package-private or public");
    }

    // Subscription handler shapes

    @Test
    void a_subscription_handler_with_three_parameters() {
        assertError(
                """
                @Handlers(Account.class)
                class Notifier {
                    @Handle
                    void opened(Balance state, Event<Account.Opened> event, Subscription.Context context) {}
                }
                """,
                "opened(",
                "invalid subscription handler opened: it returns void, so it must be void m(Event<E> event,"
                        + " Subscription.Context context), where E is an event of Account; it has 3 parameters (a"
                        + " projection handler returns its state: S m(S state, Event<E> event) or S m(S state,"
                        + " Event<E> event, Projection.Context context))");
    }

    @Test
    void a_subscription_handler_without_its_context() {
        assertError(
                """
                @Handlers(Account.class)
                class Notifier {
                    @Handle
                    void opened(Event<Account.Opened> event, Projection.Context context) {}
                }
                """,
                "context)",
                "invalid subscription handler opened: its second parameter must be a Subscription.Context, not"
                        + " Projection.Context (expected void m(Event<E> event, Subscription.Context context))");
    }

    @Test
    void a_subscription_handler_that_throws_a_throwable() {
        assertError(
                """
                @Handlers(Account.class)
                class Notifier {
                    @Handle
                    void opened(Event<Account.Opened> event, Subscription.Context context) throws Throwable {}
                }
                """,
                "opened(",
                "invalid subscription handler opened: it may throw exceptions, but not Throwable, which is not an"
                        + " Exception");
    }

    // Handlers of one class together

    @Test
    void projection_and_subscription_handlers_mixed_in_one_class() {
        assertError(
                """
                @Handlers(Account.class)
                class Both {
                    @Handle
                    Balance opened(Balance state, Event<Account.Opened> event) { return state; }

                    @Handle
                    void deposited(Event<Account.Deposited> event, Subscription.Context context) {}
                }
                """,
                "deposited(",
                "@Handlers class Both mixes projection and subscription handlers: deposited is a subscription"
                        + " handler, but opened is a projection handler; a class registers with either a"
                        + " Projection.Builder or a Subscription.Builder, so move the subscription handlers to"
                        + " another @Handlers class");
    }

    @Test
    void projection_handlers_with_different_states() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    Balance opened(Balance state, Event<Account.Opened> event) { return state; }

                    @Handle
                    Long deposited(Long state, Event<Account.Deposited> event) { return state; }
                }
                """,
                "deposited(",
                "the projection handlers of Fold must all fold the same state type: deposited returns Long, but opened"
                        + " returns Balance");
    }

    @Test
    void two_handlers_for_one_event() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    Balance opened(Balance state, Event<Account.Opened> event) { return state; }

                    @Handle
                    Balance openedAgain(Balance state, Event<Account.Opened> event) { return state; }
                }
                """,
                "openedAgain(",
                "duplicate handler for Opened: opened already handles it; keep one handler per event");
    }

    // Event types and families

    @Test
    void an_event_of_another_family() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    Balance registered(Balance state, Event<Customer.Registered> event) { return state; }
                }
                """,
                "event)",
                "invalid projection handler registered: Registered is not an event of Account (it is an event of"
                        + " Customer), the family given to @Handlers; the events of Account are Opened, Deposited,"
                        + " Withdrawn, Frozen, Closed");
    }

    @Test
    void a_group_of_events_inside_the_family() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    Balance admin(Balance state, Event<Account.Admin> event) { return state; }
                }
                """,
                "event)",
                "invalid projection handler admin: Admin groups some events of Account; a handler takes one event,"
                        + " Event<E> with E a record of Account, or the whole family, Event<Account>");
    }

    @Test
    void a_family_that_is_not_an_aggregate() {
        assertError(
                """
                @Handlers(Plain.class)
                class Fold {
                    @Handle
                    Balance happened(Balance state, Event<Plain.Happened> event) { return state; }
                }

                sealed interface Plain {
                    record Happened() implements Plain {}
                }
                """,
                ".class)", // javac points at the '.' of a class literal
                "@Handlers(Plain.class) must name an event family, a sealed interface annotated with @Aggregate;"
                        + " Plain is not annotated with @Aggregate");
    }

    @Test
    void a_family_that_is_not_sealed() {
        assertError(
                """
                @Handlers(Open.class)
                class Fold {
                    @Handle
                    Balance happened(Balance state, Event<Open> event) { return state; }
                }

                @io.evento.Aggregate("test/Open")
                interface Open {}
                """,
                ".class)",
                "@Handlers(Open.class) must name an event family, a sealed interface annotated with @Aggregate;"
                        + " Open is not sealed");
    }

    @Test
    void an_event_record_given_as_the_family() {
        assertError(
                """
                @Handlers(Account.Opened.class)
                class Fold {
                    @Handle
                    Balance opened(Balance state, Event<Account.Opened> event) { return state; }
                }
                """,
                ".class)",
                "@Handlers(Opened.class) must name an event family, a sealed interface annotated with @Aggregate;"
                        + " Opened is not an interface");
    }

    // Methods and classes

    @Test
    void a_private_handler() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    private Balance opened(Balance state, Event<Account.Opened> event) { return state; }
                }
                """,
                "opened(",
                "@Handle method opened must not be private: the generated FoldRegistration calls it from the same"
                        + " package; make it package-private");
    }

    @Test
    void a_static_handler() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    static Balance opened(Balance state, Event<Account.Opened> event) { return state; }
                }
                """,
                "opened(",
                "@Handle method opened must not be static: handlers are instance methods, called on the instance"
                        + " given to FoldRegistration.register(builder, handlers)");
    }

    @Test
    void a_generic_handler() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    @Handle
                    <E extends Account> Balance any(Balance state, Event<E> event) { return state; }
                }
                """,
                "any(",
                "@Handle method any must not be generic: the event type E of its Event<E> parameter must be a"
                        + " concrete event or family");
    }

    @Test
    void a_handler_in_a_class_without_handlers() {
        assertError(
                """
                class Fold {
                    @Handle
                    Balance opened(Balance state, Event<Account.Opened> event) { return state; }
                }
                """,
                "opened(",
                "@Handle method opened is in Fold, which is not annotated with @Handlers: annotate Fold with"
                        + " @Handlers(Family.class), Family being the @Aggregate sealed interface whose events it"
                        + " handles");
    }

    @Test
    void a_private_handlers_class() {
        assertError(
                """
                class Outer {
                    @Handlers(Account.class)
                    private static class Fold {
                        @Handle
                        Balance opened(Balance state, Event<Account.Opened> event) { return state; }
                    }
                }
                """,
                "class Fold {",
                "@Handlers class Fold must not be private: the generated OuterFoldRegistration in the same package"
                        + " calls its methods; make it package-private or public");
    }

    @Test
    void a_handlers_class_nested_in_a_private_class() {
        assertError(
                """
                class Outer {
                    private static class Middle {
                        @Handlers(Account.class)
                        static class Fold {
                            @Handle
                            Balance opened(Balance state, Event<Account.Opened> event) { return state; }
                        }
                    }
                }
                """,
                "class Fold {",
                "@Handlers class Fold must be accessible from its package, but it is nested in private class Middle:"
                        + " the generated OuterMiddleFoldRegistration in the same package cannot reach it");
    }

    @Test
    void a_generic_handlers_class() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold<T> {
                    @Handle
                    Balance opened(Balance state, Event<Account.Opened> event) { return state; }
                }
                """,
                "class Fold<T>",
                "@Handlers class Fold must not be generic: the generated registration calls its handlers with fixed"
                        + " state and event types");
    }

    @Test
    void a_handlers_class_without_handlers() {
        assertError(
                """
                @Handlers(Account.class)
                class Fold {
                    Balance opened(Balance state, Event<Account.Opened> event) { return state; }
                }
                """,
                "class Fold {",
                "@Handlers class Fold has no @Handle method: annotate its handler methods with @Handle");
    }

    @Test
    void every_mistake_of_a_class_is_reported_and_nothing_is_generated() {
        TestCompiler.Result result =
                TestCompiler.of(ACCOUNT, BALANCE, IMPORTS + """
                                @Handlers(Account.class)
                                class Fold {
                                    @Handle
                                    private Balance opened(Balance state, Event<Account.Opened> event) { return state; }

                                    @Handle
                                    Balance deposited(Balance state, Event<Account.Deposited> e, String context) {
                                        return state;
                                    }

                                    @Handle
                                    Balance withdrawn(Balance state, Event<Account.Withdrawn> event) { return state; }
                                }
                                """).compile();

        assertThat(result.errors()).extracting(d -> d.getLineNumber()).containsExactly(12L, 15L);
        assertThat(result.generated()).isEmpty();
    }

    /** Compiles {@code body} (after the imports) with the samples: exactly one error, at {@code at}. */
    private static void assertError(String body, String at, String message) {
        String source = IMPORTS + body;
        TestCompiler.Result result =
                TestCompiler.of(ACCOUNT, CUSTOMER, BALANCE, source).compile();

        List<Diagnostic<? extends JavaFileObject>> errors = result.errors();
        assertThat(errors).as(result.toString()).hasSize(1);
        Diagnostic<? extends JavaFileObject> error = errors.getFirst();
        assertThat(error.getKind()).isEqualTo(Diagnostic.Kind.ERROR);
        assertThat(error.getMessage(Locale.ROOT)).contains(message);
        assertThat(error.getSource().getName()).isEqualTo("/bank/" + typeName(body) + ".java");
        int expected = source.indexOf(at);
        assertThat(expected).as("%s is in the source", at).isNotNegative();
        assertThat(error.getLineNumber())
                .as("line")
                .isEqualTo(1
                        + source.substring(0, expected)
                                .chars()
                                .filter(c -> c == '\n')
                                .count());
        assertThat(source.substring((int) error.getPosition()))
                .as("the position of the error")
                .startsWith(at);
    }

    private static String typeName(String body) {
        int start = body.indexOf("class ") + "class ".length();
        int end = start;
        while (Character.isJavaIdentifierPart(body.charAt(end))) {
            end++;
        }
        return body.substring(start, end);
    }
}
