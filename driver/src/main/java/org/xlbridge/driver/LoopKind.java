package org.xlbridge.driver;

import java.util.Locale;

/** Which {@link org.xlbridge.eventloop.EventLoop} the driver runs on. */
public enum LoopKind {
    /** The embedded poll(2) loop; needs nothing installed. The default. */
    EMBEDDED,
    /** libvirt's own default loop through libvirt-java; needs libvirt.so.0 (Debian package libvirt0). */
    LIBVIRT,
    /** libvirt when libvirt.so.0 loads, else embedded. */
    AUTO;

    /** Parses "embedded", "libvirt" or "auto" (any case). */
    public static LoopKind parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("event loop kind must not be null (embedded, libvirt or auto)");
        }
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "embedded" -> EMBEDDED;
            case "libvirt" -> LIBVIRT;
            case "auto" -> AUTO;
            default -> throw new IllegalArgumentException(
                    "unknown event loop kind '" + text + "': expected embedded, libvirt or auto");
        };
    }

    /** The name {@link #parse} accepts. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
