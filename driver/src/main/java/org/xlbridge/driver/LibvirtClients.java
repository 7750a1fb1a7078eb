package org.xlbridge.driver;

import java.time.Duration;
import org.xlbridge.eventloop.EventLoop;

/**
 * The libvirt side of a {@link DriverRuntime}: libvirt connections that run on the driver's loop. The
 * runtime calls these steps in libvirt's order (see {@code docs/libvirt-clients.md}): {@link #prepare}
 * before anything connects, {@link #open} once the loop turns; at close {@link #deregisterListeners},
 * {@link #closeConnections}, then {@link #awaitFreed} while the loop still turns, and only then the libxl
 * ctx and the loop itself. {@link LibvirtConnections} is the implementation; tests bind a recording one.
 */
public interface LibvirtClients {
    /**
     * Makes {@code loop} libvirt's event implementation unless it already is (libvirt's own loop
     * registered libvirt's default implementation when it was made). Called before the loop thread starts
     * and before any connection, when {@link DriverConfig#libvirtUri()} is configured or the driver
     * plugin's URI is a libvirt one.
     */
    void prepare(EventLoop loop);

    /** Opens the configured {@link DriverConfig#libvirtUri()} connection; the loop is turning. */
    void open();

    /** Removes every event listener added through this object. */
    void deregisterListeners();

    /** Closes the connection. */
    void closeConnections();

    /**
     * Waits, the loop still turning, until libvirt has freed what it had registered on the loop.
     *
     * @return true if it did within {@code timeout}
     */
    boolean awaitFreed(Duration timeout) throws InterruptedException;
}
