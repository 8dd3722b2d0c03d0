package io.evento.examples.bank;

import java.math.BigDecimal;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.util.Locale;

/** Formats amounts in cents for people: {@code 123456, "EUR"} becomes {@code "1,234.56 EUR"}. */
public final class Money {
    private Money() {}

    /**
     * Formats an amount.
     *
     * @param cents the amount in minor units
     * @param currency the currency code
     * @return the amount with two decimals, a thousands separator and the currency
     */
    public static String format(long cents, String currency) {
        // DecimalFormat is not thread-safe, so one per call; this is for output, not a hot path.
        DecimalFormat format = new DecimalFormat("#,##0.00", DecimalFormatSymbols.getInstance(Locale.ROOT));
        return format.format(BigDecimal.valueOf(cents, 2)) + " " + currency;
    }
}
