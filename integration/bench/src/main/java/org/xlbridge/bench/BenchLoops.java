package org.xlbridge.bench;

import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;
import org.xlbridge.eventloop.poll.PollEventLoop;

/** Opens the event loops the benchmarks compare, and says clearly when libvirt's cannot be had. */
final class BenchLoops {
    /** A frequency far enough ahead (one hour) that nothing fires while a benchmark runs. */
    static final int FAR_MS = 3_600_000;

    private BenchLoops() {
    }

    /** The embedded poll(2) loop. */
    static EventLoop embedded() {
        return new PollEventLoop();
    }

    /**
     * A handle on libvirt's default loop.
     *
     * @throws IllegalStateException naming the missing package when libvirt.so.0 does not load; JMH
     *                               reports it as the reason that benchmark did not run
     */
    static EventLoop libvirt() {
        requireLibvirt();
        return new LibvirtEventLoop();
    }

    /** Whether libvirt.so.0 loads on this machine. */
    static boolean libvirtAvailable() {
        return LibvirtEventLoop.isAvailable();
    }

    /** Fails with a clear message when libvirt's loop is unavailable. */
    static void requireLibvirt() {
        if (!libvirtAvailable()) {
            throw new IllegalStateException("SKIPPED: libvirt.so.0 does not load (install the Debian package "
                    + "libvirt0); the LibvirtEventLoop benchmarks cannot run on this machine");
        }
    }

    /** A far frequency, between one and two hours, spread so the timers do not all share one deadline. */
    static int farFrequency(int random) {
        return FAR_MS + Math.floorMod(random, FAR_MS);
    }
}
