package org.xlbridge.driver;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.time.TimeSource;

/**
 * Makes {@link LibxlContext} injectable with an {@link OsEventBridge} over the bound
 * {@link org.xlbridge.eventloop.EventLoop} attached as its hooks, and the configured protocol.
 * Binds {@link BridgeListener} to {@link BridgeListener#NONE} and the ctx's {@link TimeSource} to the
 * system's monotonic clock; both can be overridden (a checker listens; a virtual-time test supplies its
 * clock).
 */
public final class LibxlDriverModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(BridgeListener.class).toInstance(BridgeListener.NONE);
        bind(TimeSource.class).toInstance(TimeSource.SYSTEM);
        bind(OsEventBridge.class).in(Singleton.class);
        bind(DriverRuntime.class).in(Singleton.class);
    }

    @Provides
    @Singleton
    LibxlContext context(OsEventBridge bridge, DriverConfig config, TimeSource clock) {
        LibxlContext ctx = LibxlContext.builder()
                .hooks(bridge)
                .timeSource(clock)
                .protocol(config.protocol())
                .loggerName("org.xlbridge.libxl.ctx")
                .build();
        bridge.attach(ctx);
        return ctx;
    }
}
