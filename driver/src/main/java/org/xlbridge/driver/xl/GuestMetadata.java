package org.xlbridge.driver.xl;

import java.util.Map;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.xen.GuestScript;

/**
 * A simulated guest's behaviour from its domain XML, in libvirt's place for application data:
 * {@code <metadata><guest shutdown='200' reboot='never' crash='5000' pause='0' release='0' backend='1'/></metadata>}.
 * Each attribute is milliseconds or {@code never} (not for {@code pause}); a missing one keeps the host's
 * default for that guest (see {@link XlHostConfig}).
 */
final class GuestMetadata {
    static final String ELEMENT = "guest";

    private GuestMetadata() {
    }

    static GuestScript apply(Map<String, String> attrs, GuestScript base) {
        GuestScript s = base;
        for (Map.Entry<String, String> e : attrs.entrySet()) {
            String key = e.getKey();
            long v = value(key, e.getValue());
            s = switch (key) {
                case "shutdown" -> s.withShutdownAnswerMs(v);
                case "reboot" -> s.withRebootAnswerMs(v);
                case "crash" -> s.withCrashAtMs(v);
                case "pause" -> {
                    if (v == GuestScript.NEVER) {
                        throw bad(key, e.getValue(), "a pause always completes: give milliseconds");
                    }
                    yield s.withPauseDelayMs(v);
                }
                case "release" -> s.withReleaseDelayMs(v);
                case "backend" -> s.withBackendAnswerMs(v);
                default -> throw new DriverException(ErrorNumber.VIR_ERR_XML_ERROR, "unknown attribute '" + key
                        + "' of <metadata><guest> (known: shutdown, reboot, crash, pause, release, backend)");
            };
        }
        return s;
    }

    private static long value(String key, String text) {
        String t = text.trim();
        if (t.equals("never")) {
            return GuestScript.NEVER;
        }
        try {
            long v = Long.parseLong(t);
            if (v < 0) {
                throw bad(key, text, "milliseconds must not be negative");
            }
            return v;
        } catch (NumberFormatException ex) {
            throw bad(key, text, "expected milliseconds or 'never'");
        }
    }

    private static DriverException bad(String key, String value, String why) {
        return new DriverException(ErrorNumber.VIR_ERR_XML_ERROR,
                "<metadata><guest " + key + "='" + value + "'>: " + why);
    }
}
