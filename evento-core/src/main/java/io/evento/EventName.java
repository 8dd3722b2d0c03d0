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
 * annotation before renaming a record that already has events in a store.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface EventName {
    /**
     * The stored event name, unique within its aggregate, at most {@value Limits#NAME_MAX_LENGTH}
     * characters.
     *
     * @return the event name
     */
    String value();
}
