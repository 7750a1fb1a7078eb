package org.xlbridge.cli;

import java.time.Duration;
import java.util.Locale;

/** Reads the durations the main jobs take on their command lines. */
final class Durations {
    private Durations() {
    }

    /**
     * "20s", "1.5s", "500ms", "2m", a bare number of seconds, or an ISO-8601 duration such as "PT20S".
     *
     * @throws IllegalArgumentException naming the text and the accepted forms
     */
    static Duration parse(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
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
                return Duration.ofSeconds(Long.parseLong(t.substring(0, t.length() - 1)) * 60);
            }
            return Duration.ofSeconds(Long.parseLong(t));
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("cannot read duration '" + text + "': use e.g. 20s, 500ms, 2m");
        }
    }
}
