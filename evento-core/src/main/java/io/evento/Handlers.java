package io.evento;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a class whose {@link Handle}-annotated methods handle the events of one family, for the
 * {@code evento-processor} annotation processor: it generates a {@code <Class>Registration} class
 * that registers the methods with a {@link Projection.Builder} or a {@link Subscription.Builder},
 * without reflection, and reports a wrong signature, a duplicate handler or an event of another
 * family as a compile error.
 *
 * <pre>{@code
 * @Handlers(Account.class)
 * final class BalanceFold {
 *     @Handle
 *     Balance opened(Balance state, Event<AccountOpened> e) { return new Balance(e.data().initialBalance()); }
 *
 *     @Handle
 *     Balance deposited(Balance state, Event<MoneyDeposited> e) { return state.plus(e.data().amount()); }
 * }
 *
 * static final Projection<Balance> BALANCE = BalanceFoldRegistration
 *         .register(Projection.builder("balance", Account.class, Balance::zero), new BalanceFold())
 *         .build();
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.TYPE)
public @interface Handlers {
    /**
     * The family (sealed interface annotated with {@link Aggregate}) whose events the methods
     * handle.
     *
     * @return the family
     */
    Class<?> value();
}
