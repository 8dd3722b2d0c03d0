package io.evento;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Overrides the stored name of an event record. Without it the name is the record's simple name.
 *
 * <p>Names are stored with every event and used to decode it again, so pin the name with this
 * annotation before renaming a record that already has events in a store, or list the former
 * names as {@link #aliases()}: events stored under them load as this record.
 *
 * <pre>{@code
 * @EventName(value = "MoneyDeposited", aliases = {"CashDeposited", "Deposit"})
 * record MoneyDeposited(long amount) implements Account {}
 * }</pre>
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface EventName {
    /**
     * The stored event name, unique within its aggregate, at most {@value Limits#NAME_MAX_LENGTH}
     * characters.
     *
     * @return the event name, or empty for the record's simple name
     */
    String value() default "";

    /**
     * Former names of this event: stored events with one of these names are read as this record
     * (and report the current name). New events are always stored under {@link #value()}.
     *
     * @return the former names
     */
    String[] aliases() default {};
}
