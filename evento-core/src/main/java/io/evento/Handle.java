package io.evento;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a method of a {@link Handlers} class as the handler of one event type, the {@code E} of
 * its {@code Event<E>} parameter. Projection handlers are {@code S m(S state, Event<E> event)} or
 * {@code S m(S state, Event<E> event, Projection.Context context)}; subscription handlers are
 * {@code void m(Event<E> event, Subscription.Context context)} and may throw.
 */
@Documented
@Retention(RetentionPolicy.SOURCE)
@Target(ElementType.METHOD)
public @interface Handle {}
