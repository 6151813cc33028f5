package dev.streamfleet.worker.config;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as people write them in configuration and on the command line: a number with a
 * unit ({@code 500ms}, {@code 10s}, {@code 1.5s}, {@code 2m}, {@code 1h}) or ISO-8601
 * ({@code PT10S}). Anything finer than a millisecond is rounded down.
 */
public final class Durations {

    /** How an error message describes the accepted forms. */
    public static final String FORMS = "a duration such as 500ms, 10s, 1.5s, 2m, 1h or PT10S";

    private static final Pattern WITH_UNIT = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ms|s|m|h)");

    private Durations() {
    }

    /** The duration {@code text} stands for; fails with {@link IllegalArgumentException} naming the accepted forms. */
    public static Duration parse(String text) {
        String trimmed = text == null ? "" : text.trim();
        Matcher matcher = WITH_UNIT.matcher(trimmed);
        if (matcher.matches()) {
            BigDecimal amount = new BigDecimal(matcher.group(1));
            long millisPerUnit = switch (matcher.group(2)) {
                case "ms" -> 1L;
                case "s" -> 1_000L;
                case "m" -> 60_000L;
                default -> 3_600_000L;
            };
            try {
                return Duration.ofMillis(amount.multiply(BigDecimal.valueOf(millisPerUnit)).longValueExact());
            } catch (ArithmeticException e) {
                // a fraction of a millisecond, or too large for a long: the first is rounded down
                BigDecimal millis = amount.multiply(BigDecimal.valueOf(millisPerUnit));
                if (millis.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
                    throw new IllegalArgumentException("expected " + FORMS + ", got '" + trimmed + "' (too long)");
                }
                return Duration.ofMillis(millis.longValue());
            }
        }
        if (trimmed.toUpperCase(Locale.ROOT).startsWith("P")) {
            try {
                return Duration.parse(trimmed.toUpperCase(Locale.ROOT));
            } catch (DateTimeParseException e) {
                // fall through to the common message
            }
        }
        throw new IllegalArgumentException("expected " + FORMS + ", got '" + trimmed + "'");
    }

    /** {@code duration} the way {@link #parse} reads it back: {@code 10s}, {@code 250ms}, {@code 1.5s}. */
    public static String format(Duration duration) {
        long millis = duration.toMillis();
        if (millis % 3_600_000 == 0 && millis > 0) {
            return millis / 3_600_000 + "h";
        }
        if (millis % 60_000 == 0 && millis > 0) {
            return millis / 60_000 + "m";
        }
        if (millis % 1_000 == 0) {
            return millis / 1_000 + "s";
        }
        return millis >= 1_000 ? BigDecimal.valueOf(millis, 3).stripTrailingZeros().toPlainString() + "s" : millis + "ms";
    }
}
