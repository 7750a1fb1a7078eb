package org.xlbridge.driver;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.util.Modules;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.testing.ManualEventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.time.TimeSource;

/**
 * The whole driver, wired by Guice exactly as in production, with only the {@link EventLoop} binding
 * (and the ctx's clock) replaced: a {@link ManualEventLoop} the test drives.
 */
final class ManualDriver {
    final ManualEventLoop loop;
    final Injector injector;
    final LibxlContext ctx;
    final OsEventBridge bridge;

    ManualDriver(EventLoop replacement, ManualEventLoop manual, BridgeListener listener,
                 DeregistrationProtocol protocol) {
        this.loop = manual;
        this.injector = Guice.createInjector(
                new DriverConfigModule(DriverConfig.defaults().withProtocol(protocol)),
                Modules.override(new EventLoopModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(EventLoop.class).toInstance(replacement);
                    }
                }),
                Modules.override(new LibxlDriverModule()).with(new AbstractModule() {
                    @Override
                    protected void configure() {
                        bind(BridgeListener.class).toInstance(listener);
                        bind(TimeSource.class).toInstance(manual::nanoTime);
                    }
                }));
        this.ctx = injector.getInstance(LibxlContext.class);
        this.bridge = injector.getInstance(OsEventBridge.class);
    }

    ManualDriver(ManualEventLoop manual, BridgeListener listener) {
        this(manual, manual, listener, DeregistrationProtocol.ASAP_MODIFY);
    }
}
