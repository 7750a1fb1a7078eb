package org.xlbridge.driver.scenarios;

import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.conformance.Await;

/**
 * The fixture of the scenario suites: a loop turning on a thread of its own and a {@link DriverManager}
 * over it, torn down in libvirt's order (connections and driver states while the loop still turns, then
 * the loop).
 */
public final class RunningDriver {
    private final EventLoop loop;
    private final Thread loopThread;
    private final DriverManager manager;

    private RunningDriver(EventLoop loop, String threadName) {
        this.loop = loop;
        this.loopThread = new Thread(loop::run, threadName);
        loopThread.setDaemon(true);
        loopThread.start();
        this.manager = new DriverManager(DriverEnvironment.of(loop));
    }

    /** Starts {@code loop} on a thread named {@code threadName} and makes a driver manager on it. */
    public static RunningDriver start(EventLoop loop, String threadName) {
        return new RunningDriver(loop, threadName);
    }

    public DriverManager manager() {
        return manager;
    }

    public Thread loopThread() {
        return loopThread;
    }

    /** Closes the manager, then stops, joins and closes the loop. */
    public void close() {
        close(() -> { });
    }

    /**
     * Closes the manager, runs {@code beforeLoopStops} (e.g. waiting for libvirt's frees, stopping a daemon)
     * while the loop still turns, then stops, joins and closes the loop, even if a step before failed.
     */
    public void close(Runnable beforeLoopStops) {
        try {
            manager.close();
            beforeLoopStops.run();
        } finally {
            loop.stop();
            Await.join(loopThread);
            loop.close();
        }
    }
}
