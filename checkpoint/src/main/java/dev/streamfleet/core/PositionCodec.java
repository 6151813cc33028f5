package dev.streamfleet.core;

import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Text forms of a {@link Position}: one for storage and people ({@link #encode}/{@link #decode}),
 * and an order-preserving key for record positions ({@link #sortKey}) that a store can compare
 * as a plain string.
 *
 * <pre>
 *   kinesis  seq:49590338271490256608559692538361571095921575989136588898       (sub-sequence 0)
 *            seq:49590338271490256608559692538361571095921575989136588898.3     (sub-sequence 3)
 *   kafka    offset:1042
 *   starts   TRIM_HORIZON | LATEST | AT_TIMESTAMP:2026-11-25T06:00:00Z
 * </pre>
 */
@PublicApi
public final class PositionCodec {

    /** Kinesis documents sequence numbers as up to 129 decimal digits. */
    public static final int MAX_SEQUENCE_DIGITS = 129;
    private static final int LONG_DIGITS = 19;

    private PositionCodec() {
    }

    public static String encode(Position position) {
        if (position instanceof Position.Sequence s) {
            return "seq:" + s.sequenceNumber() + (s.subSequence() == 0 ? "" : "." + s.subSequence());
        }
        if (position instanceof Position.Offset o) {
            return "offset:" + o.nextOffset();
        }
        if (position instanceof Position.AtTimestamp a) {
            return "AT_TIMESTAMP:" + a.timestamp();
        }
        return position instanceof Position.Latest ? "LATEST" : "TRIM_HORIZON";
    }

    /** Parses the form that {@link #encode} writes; the error names the text it could not read. */
    public static Position decode(String text) {
        try {
            if (text.equals("TRIM_HORIZON")) {
                return Position.TRIM_HORIZON;
            }
            if (text.equals("LATEST")) {
                return Position.LATEST;
            }
            if (text.startsWith("AT_TIMESTAMP:")) {
                return new Position.AtTimestamp(Instant.parse(text.substring("AT_TIMESTAMP:".length())));
            }
            if (text.startsWith("offset:")) {
                return new Position.Offset(Long.parseLong(text.substring("offset:".length())));
            }
            if (text.startsWith("seq:")) {
                String body = text.substring("seq:".length());
                int dot = body.indexOf('.');
                if (dot < 0) {
                    return new Position.Sequence(digits(body), 0);
                }
                return new Position.Sequence(digits(body.substring(0, dot)), Long.parseLong(body.substring(dot + 1)));
            }
        } catch (NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException("invalid position '" + text + "': " + e.getMessage(), e);
        }
        throw new IllegalArgumentException("invalid position '" + text
                + "' (expected seq:<number>[.<sub>], offset:<n>, TRIM_HORIZON, LATEST or AT_TIMESTAMP:<ISO-8601 instant>)");
    }

    private static BigInteger digits(String text) {
        if (text.isEmpty() || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw new NumberFormatException("not a decimal number: '" + text + "'");
        }
        return new BigInteger(text);
    }

    /**
     * A fixed-width key whose string order is the position order of record positions of one
     * kind, so that a store can enforce "never backwards" in a conditional write.
     *
     * @throws IllegalArgumentException for a starting point, which has no place in that order
     */
    public static String sortKey(Position position) {
        if (position instanceof Position.Sequence s) {
            return pad(s.sequenceNumber().toString(), MAX_SEQUENCE_DIGITS) + "." + pad(Long.toString(s.subSequence()), LONG_DIGITS);
        }
        if (position instanceof Position.Offset o) {
            return pad(Long.toString(o.nextOffset()), LONG_DIGITS);
        }
        throw new IllegalArgumentException(encode(position) + " is a starting point, not a record position");
    }

    private static String pad(String digits, int width) {
        return "0".repeat(width - digits.length()) + digits;
    }
}
