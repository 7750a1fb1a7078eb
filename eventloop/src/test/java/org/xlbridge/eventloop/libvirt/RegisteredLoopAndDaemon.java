package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.xlbridge.eventloop.poll.PollEventLoop;
import org.xlbridge.libvirtd.PrivateLibvirtd;

/**
 * The fixture of tests that talk to a private libvirtd through the embedded loop: a {@link PollEventLoop}
 * registered as libvirt's event implementation (once per JVM: such tests carry the tag
 * {@code libvirt-own-process}), turning on a thread of its own, and a private daemon. {@link #start}
 * skips the test without libvirt or libvirtd (fails it under {@code CI=true}); {@link #close} stops the
 * daemon, checks it is gone, then stops the loop.
 */
public final class RegisteredLoopAndDaemon implements AutoCloseable {
    private static final Duration BOUND = Duration.ofSeconds(30);

    private final PollEventLoop loop;
    private final LibvirtEventImpl impl;
    private final Thread loopThread;
    private final PrivateLibvirtd daemon;

    private RegisteredLoopAndDaemon(PollEventLoop loop, LibvirtEventImpl impl, Thread loopThread,
                                    PrivateLibvirtd daemon) {
        this.loop = loop;
        this.impl = impl;
        this.loopThread = loopThread;
        this.daemon = daemon;
    }

    /** Registers a new embedded loop with libvirt, runs it on {@code threadName}, starts a private daemon. */
    public static RegisteredLoopAndDaemon start(String threadName) throws Exception {
        LibvirtAssumptions.assumeLibvirt();
        LibvirtAssumptions.assumeLibvirtd();
        PollEventLoop loop = new PollEventLoop();
        LibvirtEventImpl impl = LibvirtEventImpl.register(loop);
        Thread t = new Thread(loop::run, threadName);
        t.setDaemon(true);
        t.start();
        PrivateLibvirtd daemon;
        try {
            daemon = PrivateLibvirtd.start();
        } catch (Exception | Error e) {
            stop(loop, t);
            throw e;
        }
        return new RegisteredLoopAndDaemon(loop, impl, t, daemon);
    }

    public PollEventLoop loop() {
        return loop;
    }

    public LibvirtEventImpl impl() {
        return impl;
    }

    public Thread loopThread() {
        return loopThread;
    }

    public PrivateLibvirtd daemon() {
        return daemon;
    }

    /** Stops the daemon (and checks it is gone), then the loop. */
    @Override
    public void close() throws InterruptedException {
        try {
            daemon.close();
            assertThat(daemon.isAlive()).as("no libvirtd left running").isFalse();
        } finally {
            stop(loop, loopThread);
        }
    }

    private static void stop(PollEventLoop loop, Thread t) throws InterruptedException {
        loop.stop();
        t.join(BOUND.toMillis());
        loop.close();
    }
}
