package io.evento;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * The schema version of an event record, stored with each event (1 without this annotation). Bump
 * it when the record's shape changes in a way old payloads cannot be read as, and register an
 * {@link Upcaster} from the old version: stored events are rewritten on the way in, wherever they
 * are read.
 */
@Documented
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.TYPE)
public @interface EventVersion {
    /**
     * The version, from 1.
     *
     * @return the version
     */
    int value();
}
