package org.xlbridge.driver;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Binds {@link EventLoop} from the bound {@link DriverConfig}: the embedded poll(2) loop by default,
 * libvirt's loop, or "auto" (libvirt when libvirt.so.0 loads, else embedded). Replace this binding
 * (e.g. with {@code Modules.override}) to run the whole driver on another loop.
 */
public final class EventLoopModule extends AbstractModule {
    private static final Logger log = LoggerFactory.getLogger(EventLoopModule.class);

    @Provides
    @Singleton
    EventLoop eventLoop(DriverConfig config) {
        return create(config.loop());
    }

    /**
     * Makes a loop of the given kind.
     *
     * @throws org.xlbridge.eventloop.EventLoopException when {@link LoopKind#LIBVIRT} is asked for and
     *         libvirt.so.0 cannot be loaded (the message names the Debian package libvirt0)
     */
    public static EventLoop create(LoopKind kind) {
        return switch (kind) {
            case EMBEDDED -> new PollEventLoop();
            case LIBVIRT -> new LibvirtEventLoop();
            case AUTO -> {
                if (LibvirtEventLoop.isAvailable()) {
                    log.info("event loop 'auto': libvirt.so.0 loads, using libvirt's default loop");
                    yield new LibvirtEventLoop();
                }
                log.info("event loop 'auto': libvirt.so.0 not available, using the embedded poll loop");
                yield new PollEventLoop();
            }
        };
    }
}
