package org.xlbridge.driver;

import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * Which {@link EventLoop} the driver runs on. {@link #AUTO} is a request, not a loop: configuration
 * ({@link DriverConfig}) turns it into {@link #EMBEDDED} or {@link #LIBVIRT} once, by {@link #resolve()}, so
 * that no Guice module or provider probes for libvirt.
 */
public enum LoopKind {
    /** The embedded poll(2) loop; needs nothing installed. The default. */
    EMBEDDED,
    /** libvirt's own default loop through libvirt-java; needs libvirt.so.0 (Debian package libvirt0). */
    LIBVIRT,
    /** libvirt when libvirt.so.0 loads, else embedded; resolved by {@link #resolve()}. */
    AUTO;

    private static final Logger log = LoggerFactory.getLogger(LoopKind.class);

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

    /**
     * This kind, or for {@link #AUTO} the kind this machine supports: {@link #LIBVIRT} when libvirt.so.0
     * loads, else {@link #EMBEDDED}. Probing loads libvirt's library (no loop, no registration); it is the
     * one place the choice is made.
     */
    public LoopKind resolve() {
        if (this != AUTO) {
            return this;
        }
        if (LibvirtEventLoop.isAvailable()) {
            log.info("event loop 'auto': libvirt.so.0 loads, using libvirt's default loop");
            return LIBVIRT;
        }
        log.info("event loop 'auto': libvirt.so.0 not available, using the embedded poll loop");
        return EMBEDDED;
    }

    /**
     * Makes a new loop of this kind ({@link #AUTO} is {@link #resolve() resolved} first). The embedded loop
     * opens its wakeup descriptor; libvirt's registers libvirt's default implementation (process-wide).
     *
     * @throws org.xlbridge.eventloop.EventLoopException when libvirt's loop is asked for and libvirt.so.0
     *         cannot be loaded (the message names the Debian package libvirt0)
     */
    public EventLoop newLoop() {
        return switch (resolve()) {
            case EMBEDDED -> new PollEventLoop();
            case LIBVIRT -> new LibvirtEventLoop();
            case AUTO -> throw new AssertionError("resolve() never answers AUTO");
        };
    }

    /** The name {@link #parse} accepts. */
    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
