package org.xlbridge.race;

import java.time.Duration;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;

/** The wait before an I4 check: until a still-turning loop holds no registration and owes no free. */
public final class LoopQuiet {
    private LoopQuiet() {
    }

    /** True if {@code s} shows no live timeout or handle and no pending free. */
    public static boolean isQuiet(EventLoopStats s) {
        return s.liveTimeouts() == 0 && s.liveHandles() == 0 && s.pendingFrees() == 0;
    }

    /**
     * Polls {@code loop.stats()} every 5 ms until {@link #isQuiet} or {@code bound} passed.
     *
     * @return the last stats read (quiet, or what was left when the bound passed)
     */
    public static EventLoopStats await(EventLoop loop, Duration bound) throws InterruptedException {
        long deadline = System.nanoTime() + bound.toNanos();
        EventLoopStats s = loop.stats();
        while (!isQuiet(s) && System.nanoTime() < deadline) {
            Thread.sleep(5);
            s = loop.stats();
        }
        return s;
    }
}
