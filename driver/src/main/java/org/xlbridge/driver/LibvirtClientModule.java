package org.xlbridge.driver;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import org.libvirt.Connect;

/**
 * Makes libvirt-java's {@link Connect} for the configured {@link DriverConfig#libvirtUri()} injectable,
 * sharing the driver's loop with the libxl side. The provider opens nothing: the {@link DriverRuntime}
 * opened the connection at {@code start()}, after making the loop libvirt's event implementation, and
 * closes it first at {@code close()}. Asking for the connection before start (or without a configured URI)
 * fails with a message that says so. Install it beside {@link LibxlDriverModule}.
 */
public final class LibvirtClientModule extends AbstractModule {
    @Provides
    Connect connection(LibvirtConnections connections) {
        return connections.connection();
    }
}
