package org.xlbridge.driver;

import com.google.inject.AbstractModule;

/**
 * Binds {@link DriverConfig}. Read the configuration before building the module (e.g.
 * {@code new DriverConfigModule(DriverConfig.fromSystemProperties())}), so that the module is a value and
 * its construction reads nothing.
 */
public final class DriverConfigModule extends AbstractModule {
    private final DriverConfig config;

    public DriverConfigModule(DriverConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.config = config;
    }

    @Override
    protected void configure() {
        bind(DriverConfig.class).toInstance(config);
    }
}
