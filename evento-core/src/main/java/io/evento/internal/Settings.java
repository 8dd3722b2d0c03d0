package io.evento.internal;

import java.time.Duration;

/**
 * The checks of the executors' builders, so that each refuses a repeated or out-of-range setting
 * at once, with the same words: {@code "maximum pool size was already set to 8"}, {@code "maximum
 * pool size must be between 1 and 1000, was 0"}.
 *
 * <p>A setting not set yet is {@code null}, or {@code 0} for a count (every count a builder takes
 * is at least 1).
 *
 * <p>Internal: shared by the executors' builders, not part of the API; it may change without
 * notice.
 */
public final class Settings {
    private Settings() {}

    /**
     * Refuses a second value for a setting.
     *
     * @param setting the setting's name in messages, like {@code "connection timeout"}
     * @param current its value so far, {@code null} if not set
     * @throws IllegalStateException "{@code <setting> was already set to <current>}" if set
     */
    public static void requireUnset(String setting, Object current) {
        if (current != null) {
            throw new IllegalStateException(setting + " was already set to " + current);
        }
    }

    /**
     * Refuses a second value for a count.
     *
     * @param setting the setting's name in messages, like {@code "maximum pool size"}
     * @param current its value so far, {@code 0} if not set
     * @throws IllegalStateException "{@code <setting> was already set to <current>}" if set
     */
    public static void requireUnset(String setting, int current) {
        if (current != 0) {
            throw new IllegalStateException(setting + " was already set to " + current);
        }
    }

    /**
     * Refuses a second value for a count named in the plural.
     *
     * @param settings the setting's name in messages, like {@code "read connections"}
     * @param current its value so far, {@code 0} if not set
     * @throws IllegalStateException "{@code <settings> were already set to <current>}" if set
     */
    public static void requireUnsetPlural(String settings, int current) {
        if (current != 0) {
            throw new IllegalStateException(settings + " were already set to " + current);
        }
    }

    /**
     * Checks a count against its range.
     *
     * @param setting the setting's name in messages
     * @param value the value given
     * @param min the smallest value accepted
     * @param max the largest value accepted
     * @return {@code value}
     * @throws IllegalArgumentException "{@code <setting> must be between <min> and <max>, was
     *     <value>}" if out of range
     */
    public static int requireBetween(String setting, int value, int min, int max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(setting + " must be between " + min + " and " + max + ", was " + value);
        }
        return value;
    }

    /**
     * Checks a duration against its range, named for people ({@code "250 ms and 1 day"}) since
     * {@link Duration#toString()} reads poorly for bounds.
     *
     * @param setting the setting's name in messages
     * @param value the value given
     * @param min the shortest value accepted
     * @param max the longest value accepted
     * @param range the range in words, like {@code "0 and 1 second"}
     * @return {@code value}
     * @throws IllegalArgumentException "{@code <setting> must be between <range>, was <value>}" if
     *     out of range
     */
    public static Duration requireBetween(String setting, Duration value, Duration min, Duration max, String range) {
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(setting + " must be between " + range + ", was " + value);
        }
        return value;
    }

    /**
     * Checks a duration against its lower bound.
     *
     * @param setting the setting's name in messages
     * @param value the value given
     * @param min the shortest value accepted
     * @return {@code value}
     * @throws IllegalArgumentException "{@code <setting> must be at least <min>, was <value>}" if
     *     shorter
     */
    public static Duration requireAtLeast(String setting, Duration value, Duration min) {
        if (value.compareTo(min) < 0) {
            throw new IllegalArgumentException(setting + " must be at least " + min + ", was " + value);
        }
        return value;
    }
}
