package io.evento.tck.domain;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import io.evento.Aggregate;

/**
 * A family whose event holds a polymorphic value: the JSON codec accepts it at registration (the
 * value carries its type), yet one of its subtypes is written with a type id nothing reads, so a
 * commit holding it must be refused before anything is stored.
 */
@Aggregate("tck/Parcel")
public sealed interface Parcel {

    /**
     * A parcel was sent.
     *
     * @param content what it holds
     */
    record Sent(Content content) implements Parcel {}

    /** What a parcel holds; only {@link Letter} is a known subtype. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
    @JsonSubTypes(@JsonSubTypes.Type(value = Letter.class, name = "letter"))
    sealed interface Content {}

    /**
     * A letter.
     *
     * @param text its text
     */
    record Letter(String text) implements Content {}

    /**
     * A box, missing from {@code @JsonSubTypes}: it is written, but does not read back.
     *
     * @param size its size
     */
    record Box(int size) implements Content {}
}
