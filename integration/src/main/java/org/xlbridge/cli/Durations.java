package org.xlbridge.cli;

import java.time.Duration;
import java.util.Locale;

/** Reads the durations the main jobs take on their command lines. */
final class Durations {
    private Durations() {
    }

    /**
     * "500ms", "20s", "1.5s", "2m", "1h", or an ISO-8601 duration such as "PT20S". A number without a unit is
     * refused: "20" could mean seconds or milliseconds, and a soak run for the wrong one wastes an hour.
     *
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        if (!t.isEmpty() && t.chars().allMatch(c -> Character.isDigit(c) || c == '.')) {
            throw new IllegalArgumentException("duration '" + text + "' has no unit: write e.g. " + t + "s, " + t
                    + "ms, " + t + "m or " + t + "h");
        }
        try {
            if (t.startsWith("p")) {
                return Duration.parse(text.trim().toUpperCase(Locale.ROOT));
            }
            if (t.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(t.substring(0, t.length() - 2)));
            }
            if (t.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(t.substring(0, t.length() - 1)) * 1000));
            }
            if (t.endsWith("m")) {
                return Duration.ofSeconds(Math.multiplyExact(Long.parseLong(t.substring(0, t.length() - 1)), 60));
            }
            if (t.endsWith("h")) {
                return Duration.ofSeconds(Math.multiplyExact(Long.parseLong(t.substring(0, t.length() - 1)), 3600));
            }
        } catch (RuntimeException e) {
            // falls through to the one message below
        }
        throw new IllegalArgumentException("cannot read duration '" + text + "': use e.g. 500ms, 20s, 2m, 1h");
    }
}
