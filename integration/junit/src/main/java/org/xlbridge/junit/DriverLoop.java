package org.xlbridge.junit;

import java.util.Locale;

/** The loops a kit test can run its driver on. */
public enum DriverLoop {
    /**
     * {@link org.xlbridge.eventloop.testing.ManualEventLoop}: virtual time, driven by the test (through
     * {@link XlbridgeDriver#advance}, {@link XlbridgeDriver#runDue} or {@link XlbridgeDriver#manual()}); the
     * ctx's clock is the loop's virtual clock. Callbacks run on the thread that drives it.
     */
    MANUAL,
    /**
     * The embedded poll loop behind {@link org.xlbridge.eventloop.testing.PooledDispatchEventLoop}: every
     * dispatch handed to a pool after a random delay, so callbacks of one registration run concurrently and
     * late — the hostile case libvirt's loops never produce.
     */
    POOLED,
    /** {@link org.xlbridge.eventloop.poll.PollEventLoop}, the embedded loop, turned by the driver's loop thread. */
    EMBEDDED;

    /** The lower-case name used in display names, e.g. "manual". */
    public String displayName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Whether time is virtual and moved by the test. */
    public boolean isVirtualTime() {
        return this == MANUAL;
    }
}
