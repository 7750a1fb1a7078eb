package org.xlbridge.driver.spi;

import java.net.URI;
import org.xlbridge.driver.api.Connect;

/**
 * A driver's per-runtime state (libvirt's driver state: for {@code xl}, the libxl ctx with the bridge
 * attached). Opens connections; closed once, after every connection it opened has been closed.
 */
public interface DriverState extends AutoCloseable {
    /** Opens a connection to a URI the driver accepted. */
    Connect open(URI uri);

    /** Cleans the state up (libvirt's {@code stateCleanup}). Called once, connections already closed. */
    @Override
    void close();
}
