package org.xlbridge.driver;

import com.google.inject.Provider;
import jakarta.inject.Inject;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.libxl.LibxlContext;

/**
 * Owns a driver's lifecycle: nothing exists until {@link #start()}, which makes the loop and the libxl
 * state (through Guice providers, so that building the injector and injecting this object do no I/O),
 * and starts the loop thread; {@link #close()} tears down in the safe order:
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
 * <p>Locking: {@code this} guards {@link #loop}, {@link #state}, {@link #loopThread} and the lifecycle
 * flags; the fields are volatile too so the accessors read them without the lock. The lock is never held
 * while waiting for a drain or joining the thread.
 */
public final class DriverRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DriverRuntime.class);

    private final Provider<EventLoop> loopProvider;
    private final Provider<LibxlDriverState> stateProvider;
    private final Duration drainTimeout;
    // Written under this.
    private volatile EventLoop loop;
    // Written under this.
    private volatile LibxlDriverState state;
    // Written under this.
    private volatile Thread loopThread;
    // Guarded by this.
    private boolean closed;

    @Inject
    public DriverRuntime(Provider<EventLoop> loop, Provider<LibxlDriverState> state, DriverConfig config) {
        this.loopProvider = loop;
        this.stateProvider = state;
        this.drainTimeout = config.drainTimeout();
    }

    /**
     * Makes the loop and the libxl state and starts the loop thread ("xlbridge-loop"), which runs
     * {@link EventLoop#run()} until close. Idempotent.
     *
     * @throws IllegalStateException after {@link #close()}
     */
    public synchronized DriverRuntime start() {
        if (closed) {
            throw new IllegalStateException("driver runtime is closed");
        }
        if (loopThread != null) {
            return this;
        }
        EventLoop l = loopProvider.get();
        LibxlDriverState s = stateProvider.get();
        if (s.loop() != l) {
            throw new IllegalStateException("the libxl state's bridge is on " + s.loop()
                    + ", not on the bound loop " + l + ": bind EventLoop as a singleton");
        }
        loop = l;
        state = s;
        Thread t = new Thread(this::runLoop, "xlbridge-loop");
        t.setDaemon(true);
        loopThread = t;
        t.start();
        return this;
    }

    private void runLoop() {
        try {
            loop.run();
        } catch (RuntimeException e) {
            log.error("event loop thread died", e);
        }
    }

    /** True once {@link #start()} returned and until {@link #close()}. */
    public synchronized boolean isRunning() {
        return loopThread != null && !closed;
    }

    /** The ctx. @throws IllegalStateException before {@link #start()} */
    public LibxlContext context() {
        return started().context();
    }

    /** The bridge. @throws IllegalStateException before {@link #start()} */
    public OsEventBridge bridge() {
        return started().bridge();
    }

    /** The loop. @throws IllegalStateException before {@link #start()} */
    public EventLoop loop() {
        return started().loop();
    }

    /** The thread that turns the loop. @throws IllegalStateException before {@link #start()} */
    public Thread loopThread() {
        started();
        return loopThread;
    }

    private LibxlDriverState started() {
        LibxlDriverState s = state;
        if (s == null) {
            throw new IllegalStateException("driver runtime not started: call start() first");
        }
        return s;
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
        if (thread == null) {
            return; // never started: nothing was made
        }
        LibxlDriverState s = state;
        s.context().close();
        try {
            if (!s.bridge().awaitDrained(drainTimeout)) {
                log.warn("bridge not drained after {}: {} (closing the loop frees the rest)", drainTimeout,
                        s.bridge().stats());
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
        loop.close();
    }
}
