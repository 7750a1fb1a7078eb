package org.xlbridge.driver;

import jakarta.inject.Inject;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.time.TimeSource;

/**
 * What libvirt's libxl driver keeps in its driver state: one libxl ctx and the bridge that is its osevent
 * hooks over the driver's {@link EventLoop}. This object owns both, so it is the one that ties them
 * together (libxl's {@code libxl_osevent_register_hooks} plus the bridge's back pointer), once, when it is
 * made; Guice providers then only hand out its parts.
 *
 * <p>Making it builds the ctx and the bridge in memory; it opens nothing: the ctx makes its poll-style
 * wakeup pipe only on first use, and no hook runs before something registers an event.
 *
 * <p>Immutable after construction; thread-safe.
 */
public final class LibxlDriverState {
    private final OsEventBridge bridge;
    private final LibxlContext context;

    /**
     * @param loop     the loop the bridge registers with
     * @param config   the protocol the ctx uses
     * @param clock    the ctx's clock
     * @param listener what the bridge reports to
     */
    @Inject
    public LibxlDriverState(EventLoop loop, DriverConfig config, TimeSource clock, BridgeListener listener) {
        this.bridge = new OsEventBridge(loop, listener);
        this.context = LibxlContext.builder()
                .hooks(bridge)
                .timeSource(clock)
                .protocol(config.protocol())
                .loggerName("org.xlbridge.libxl.ctx")
                .build();
        bridge.attach(context);
    }

    /** The ctx, with {@link #bridge()} as its hooks. */
    public LibxlContext context() {
        return context;
    }

    /** The bridge, attached to {@link #context()}. */
    public OsEventBridge bridge() {
        return bridge;
    }

    /** The loop the bridge registers with. */
    public EventLoop loop() {
        return bridge.loop();
    }
}
