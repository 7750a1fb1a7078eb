package org.xlbridge.driver;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.OptionalBinder;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.time.TimeSource;

/**
 * Makes the libxl side of the driver injectable: one {@link LibxlDriverState} (the ctx with an
 * {@link OsEventBridge} over the bound {@link org.xlbridge.eventloop.EventLoop} as its hooks, and the
 * configured protocol), its {@link LibxlContext} and {@link OsEventBridge}, the {@link LibvirtClients}
 * the runtime opens when a libvirt URI is configured, and the {@link DriverRuntime} that starts and stops
 * it all. Declares the optional {@link DriverManager} that
 * {@link org.xlbridge.driver.spi.DriverPluginModule} supplies. Binds {@link BridgeListener} to {@link BridgeListener#NONE} and the ctx's
 * {@link TimeSource} to the system's monotonic clock; both can be overridden (a checker listens; a
 * virtual-time test supplies its clock).
 *
 * <p>Plain wiring only: the providers hand out parts of the state, the state ties ctx and bridge together
 * when it is made, and nothing is made before {@link DriverRuntime#start()} asks for it.
 */
public final class LibxlDriverModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(BridgeListener.class).toInstance(BridgeListener.NONE);
        bind(TimeSource.class).toInstance(TimeSource.SYSTEM);
        bind(LibxlDriverState.class).in(Singleton.class);
        bind(LibvirtConnections.class).in(Singleton.class);
        bind(LibvirtClients.class).to(LibvirtConnections.class);
        bind(DriverRuntime.class).in(Singleton.class);
        // Absent unless DriverPluginModule sets it: the runtime then opens DriverConfig.uri() at start().
        OptionalBinder.newOptionalBinder(binder(), DriverManager.class);
    }

    @Provides
    LibxlContext context(LibxlDriverState state) {
        return state.context();
    }

    @Provides
    OsEventBridge bridge(LibxlDriverState state) {
        return state.bridge();
    }
}
