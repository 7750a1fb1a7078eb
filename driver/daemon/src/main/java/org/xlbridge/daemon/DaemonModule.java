package org.xlbridge.daemon;

import com.google.inject.AbstractModule;
import org.xlbridge.daemon.server.DaemonConfig;

/**
 * Binds the daemon's configuration; {@link DaemonRuntime} is injectable with it. Install it beside the
 * driver's modules ({@code DriverConfigModule} with the host URI, {@code EventLoopModule},
 * {@code LibxlDriverModule}, {@code DriverPluginModule}). Binds only: nothing starts until
 * {@link DaemonRuntime#start()}.
 */
public final class DaemonModule extends AbstractModule {
    private final DaemonConfig config;

    public DaemonModule(DaemonConfig config) {
        this.config = config;
    }

    @Override
    protected void configure() {
        bind(DaemonConfig.class).toInstance(config);
    }
}
