package org.xlbridge.driver.spi;

import com.google.inject.AbstractModule;
import com.google.inject.Provider;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import com.google.inject.multibindings.OptionalBinder;
import jakarta.inject.Inject;
import java.util.List;
import org.xlbridge.driver.DriverConfig;
import org.xlbridge.driver.DriverRuntime;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.eventloop.EventLoop;

/**
 * What a management application installs (beside {@code DriverConfigModule}, {@code EventLoopModule} and
 * {@code LibxlDriverModule}) to get a {@link Connect} for the configured URI
 * ({@link DriverConfig#uri()}, {@code xlbridge.uri}, default {@code xl:///system}) on the configured loop.
 *
 * <p>It only binds: a {@link DriverManager} (one runtime, on the bound {@link EventLoop} and the configured
 * protocol; drivers found with {@link java.util.ServiceLoader} unless given here) made when the
 * {@link DriverRuntime} first asks for it, and a {@code Connect} provider that hands out the connection
 * {@link DriverRuntime#start()} opened (an {@link IllegalStateException} before that). The runtime does the
 * rest: at {@code start()} it makes the loop libvirt's event implementation when the URI's driver needs it
 * and opens the URI; at {@code close()} it closes the manager first (connections, then driver states),
 * then the ctx, then the loop. See {@code docs/driver.md}.
 */
public final class DriverPluginModule extends AbstractModule {
    private final List<Driver> drivers;

    /** Drivers found with {@link java.util.ServiceLoader} when the runtime starts. */
    public DriverPluginModule() {
        this.drivers = null;
    }

    /** Exactly these drivers, in this order of preference. */
    public DriverPluginModule(List<Driver> drivers) {
        if (drivers == null) {
            throw new IllegalArgumentException("drivers must not be null");
        }
        this.drivers = List.copyOf(drivers);
    }

    @Override
    protected void configure() {
        OptionalBinder.newOptionalBinder(binder(), DriverManager.class).setBinding()
                .toProvider(new ManagerProvider(drivers)).in(Singleton.class);
    }

    @Provides
    Connect connection(DriverRuntime runtime) {
        return runtime.connection();
    }

    /**
     * Makes the manager on the bound loop when asked (by the runtime's {@code start()}), never before.
     * Locking: none needed; {@link #loop} and {@link #config} are written once by Guice while the injector
     * is built, before any thread can call {@link #get()} (which Guice calls once: the binding is a singleton).
     */
    private static final class ManagerProvider implements Provider<DriverManager> {
        private final List<Driver> drivers;
        private Provider<EventLoop> loop;
        private DriverConfig config;

        ManagerProvider(List<Driver> drivers) {
            this.drivers = drivers;
        }

        @Inject
        void inject(Provider<EventLoop> eventLoop, DriverConfig driverConfig) {
            this.loop = eventLoop;
            this.config = driverConfig;
        }

        @Override
        public DriverManager get() {
            DriverEnvironment environment = new DriverEnvironment(loop.get(), config.protocol());
            return drivers == null ? new DriverManager(environment) : new DriverManager(environment, drivers);
        }
    }
}
