package org.xlbridge.driver.spi;

import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * What a driver's state is started with, once per runtime: the event loop every connection of the
 * runtime uses (its thread runs the lifecycle listeners; the application runs it) and, for drivers built
 * on libxl's event core, the deregistration protocol.
 */
public record DriverEnvironment(EventLoop loop, DeregistrationProtocol protocol) {
    public DriverEnvironment {
        if (loop == null || protocol == null) {
            throw new IllegalArgumentException("loop and protocol must not be null");
        }
    }

    /** The loop with the fixed protocol ({@code ASAP_MODIFY}). */
    public static DriverEnvironment of(EventLoop loop) {
        return new DriverEnvironment(loop, DeregistrationProtocol.ASAP_MODIFY);
    }
}
