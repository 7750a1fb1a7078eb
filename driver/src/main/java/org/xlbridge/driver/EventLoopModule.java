package org.xlbridge.driver;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopException;
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
     * @throws org.xlbridge.eventloop.EventLoopException for {@link LoopKind#LIBVIRT}, whose loop is not in
     *         this build yet
     */
    public static EventLoop create(LoopKind kind) {
        return switch (kind) {
            case EMBEDDED -> new PollEventLoop();
            // LibvirtEventLoop has not landed in this tree (issue 2); until it does, 'libvirt' is refused
            // with a clear error and 'auto' falls back to the embedded loop, as it will without libvirt0.
            case LIBVIRT -> throw new EventLoopException(
                    "event loop 'libvirt': LibvirtEventLoop is not part of this build; use 'embedded' or 'auto'");
            case AUTO -> {
                log.info("event loop 'auto': libvirt's loop is not part of this build, using the embedded poll loop");
                yield new PollEventLoop();
            }
        };
    }
}
