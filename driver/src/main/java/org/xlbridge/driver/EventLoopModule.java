package org.xlbridge.driver;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import org.xlbridge.eventloop.EventLoop;

/**
 * Binds {@link EventLoop} to a new loop of the configured {@link DriverConfig#loop() kind} (embedded by
 * default, or libvirt's; "auto" was already decided by the configuration). Replace this binding (e.g.
 * with {@code Modules.override}) to run the whole driver on another loop.
 *
 * <p>The module itself decides nothing and touches nothing: the loop is made when something first asks
 * for it, which in a driver is {@link DriverRuntime#start()} (the runtime holds a {@code Provider}). Use
 * Guice's default {@code Stage.DEVELOPMENT}: {@code Stage.PRODUCTION} makes singletons eagerly, which
 * would open the loop while the injector is built.
 */
public final class EventLoopModule extends AbstractModule {
    @Provides
    @Singleton
    EventLoop eventLoop(DriverConfig config) {
        return config.loop().newLoop();
    }
}
