package org.xlbridge.driver;

import jakarta.inject.Inject;
import java.time.Duration;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.libxl.LibxlContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Owns the loop thread of a driver and tears it down in the safe order:
 * <ol>
 *   <li>close the ctx: it deregisters what it holds (timeouts by modify(ASAP), fds by fdDeregister);</li>
 *   <li>let the loop run until the bridge has been told to free every registration (bounded by
 *       {@link DriverConfig#drainTimeout()}): the pending timers fire into the closed ctx and are
 *       ignored there;</li>
 *   <li>stop the loop, join its thread, close it (which runs any free still outstanding).</li>
 * </ol>
 * At the end invariant I4 holds: no live timeouts or handles in the loop, no live registration in the
 * bridge, no busy nexus in the ctx.
 *
 * <p>Locking: {@code this} guards {@link #loopThread} and {@link #closed}; it is never held while
 * waiting for the drain or joining the thread.
 */
public final class DriverRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DriverRuntime.class);

    private final EventLoop loop;
    private final OsEventBridge bridge;
    private final LibxlContext context;
    private final Duration drainTimeout;
    // Guarded by this.
    private Thread loopThread;
    // Guarded by this.
    private boolean closed;

    @Inject
    public DriverRuntime(EventLoop loop, OsEventBridge bridge, LibxlContext context, DriverConfig config) {
        this.loop = loop;
        this.bridge = bridge;
        this.context = context;
        this.drainTimeout = config.drainTimeout();
    }

    /** Starts the loop thread ("xlbridge-loop"), which runs {@link EventLoop#run()} until close. */
    public synchronized DriverRuntime start() {
        if (closed) {
            throw new IllegalStateException("driver runtime is closed");
        }
        if (loopThread == null) {
            loopThread = new Thread(this::runLoop, "xlbridge-loop");
            loopThread.setDaemon(true);
            loopThread.start();
        }
        return this;
    }

    private void runLoop() {
        try {
            loop.run();
        } catch (RuntimeException e) {
            log.error("event loop thread died", e);
        }
    }

    public LibxlContext context() {
        return context;
    }

    public OsEventBridge bridge() {
        return bridge;
    }

    public EventLoop loop() {
        return loop;
    }

    /** Closes the ctx, drains the bridge (bounded), stops and closes the loop. Idempotent. */
    @Override
    public void close() {
        Thread thread;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            thread = loopThread;
        }
        context.close();
        if (thread != null) {
            try {
                if (!bridge.awaitDrained(drainTimeout)) {
                    log.warn("bridge not drained after {}: {} (closing the loop frees the rest)", drainTimeout,
                            bridge.stats());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            loop.stop();
            try {
                thread.join(drainTimeout.toMillis() + 1000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (thread.isAlive()) {
                log.warn("loop thread did not stop within the drain timeout");
            }
        }
        loop.close();
    }
}
