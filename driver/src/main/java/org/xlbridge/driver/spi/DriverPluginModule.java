package org.xlbridge.driver.spi;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import java.net.URI;
import java.net.URISyntaxException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.libvirt.LibvirtDriver;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;

/**
 * What a management application installs (beside {@code DriverConfigModule}, {@code EventLoopModule} and
 * {@code LibxlDriverModule}) to get a {@link Connect} for the configured URI ({@code xlbridge.uri}) on the
 * configured loop: binds a {@link DriverManager} (one runtime, on the bound {@link EventLoop} and the
 * configured protocol) and provides the connection, opened on first injection.
 *
 * <p>For a libvirt URI on a loop that is not yet libvirt's event implementation, the provider registers
 * the bound loop with {@link LibvirtEventImpl#register} first: libvirt's events then run on the same loop
 * as everything else. That registration is process-wide and once per process, as libvirt's is.
 *
 * <p>Order at the end, libvirt's: close the {@link DriverManager} (connections, then driver states) while
 * the loop still runs, then close the {@code DriverRuntime} (ctx, drain, loop).
 */
public final class DriverPluginModule extends AbstractModule {
    private static final Logger log = LoggerFactory.getLogger(DriverPluginModule.class);

    private final ConnectionConfig config;

    /** The URI from the system property {@code xlbridge.uri}, read now. */
    public DriverPluginModule() {
        this(ConnectionConfig.fromSystemProperties());
    }

    public DriverPluginModule(ConnectionConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.config = config;
    }

    @Override
    protected void configure() {
        bind(ConnectionConfig.class).toInstance(config);
    }

    @Provides
    @Singleton
    DriverManager driverManager(EventLoop loop, DriverConfig driverConfig) {
        return new DriverManager(new DriverEnvironment(loop, driverConfig.protocol()));
    }

    @Provides
    @Singleton
    Connect connect(DriverManager manager, ConnectionConfig connection, EventLoop loop) {
        URI uri;
        try {
            uri = new URI(connection.uri());
        } catch (URISyntaxException e) {
            return manager.open(connection.uri()); // reports the bad URI with libvirt's error number
        }
        if (new LibvirtDriver().acceptsURI(uri) && !LibvirtDriver.isLibvirtsEventImplementation(loop)) {
            log.info("registering {} as libvirt's event implementation for {}", loop, uri);
            LibvirtEventImpl.register(loop);
        }
        return manager.open(connection.uri());
    }
}
