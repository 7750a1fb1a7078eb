package org.xlbridge.driver;

import com.google.inject.AbstractModule;

/** Binds {@link DriverConfig}: the given one, or one read from system properties. */
public final class DriverConfigModule extends AbstractModule {
    private final DriverConfig config;

    /** Binds the configuration read from system properties at construction. */
    public DriverConfigModule() {
        this(DriverConfig.fromSystemProperties());
    }

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
