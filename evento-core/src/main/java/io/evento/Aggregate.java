package io.evento;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a sealed interface as an event family: the events of one aggregate type.
 *
 * <p>The value is the aggregate type as stored with every event, for example {@code "bank/Account"}.
 * It is part of the stored data, so it must stay stable when classes are renamed or moved:
 *
 * <pre>{@code
 * @Aggregate("bank/Account")
 * public sealed interface Account {
 *     record AccountOpened(String owner, long initialBalance) implements Account {}
 *     record MoneyDeposited(long amount) implements Account {}
 * }
 * }</pre>
 *
 * <p>The family's events are the records permitted by the sealed interface (directly or through
 * nested sealed interfaces). Register the family with {@link Evento.Builder#register(Class[])}.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface Aggregate {
    /**
     * The stored aggregate type name, at most {@value Limits#NAME_MAX_LENGTH} characters.
     *
     * @return the aggregate type
     */
    String value();
}
