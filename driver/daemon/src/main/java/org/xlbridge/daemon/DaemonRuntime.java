package org.xlbridge.daemon;

import jakarta.inject.Inject;
import java.io.IOException;
import org.xlbridge.daemon.server.Daemon;
import org.xlbridge.daemon.server.DaemonConfig;
import org.xlbridge.driver.DriverRuntime;

/**
 * The daemon's lifecycle over the driver's ({@link DriverRuntime}). {@link #start()} starts the driver
 * runtime (the loop and its thread, the driver manager, the plugin connection to the host URI) and then the
 * daemon's sockets on that loop. {@link #close()} goes in libvirt's order: the daemon's clients (their
 * calls in flight may end first, bounded), then the driver runtime (connections, driver states, the ctx,
 * then the loop). Injecting it starts nothing.
 *
 * <p>Locking: {@code this} guards {@link #daemon} and {@link #closed}.
 */
public final class DaemonRuntime implements AutoCloseable {
    private final DriverRuntime driver;
    private final DaemonConfig config;
    /** Guarded by this. */
    private Daemon daemon;
    /** Guarded by this. */
    private boolean closed;

    @Inject
    public DaemonRuntime(DriverRuntime driver, DaemonConfig config) {
        this.driver = driver;
        this.config = config;
    }

    /**
     * Starts the driver runtime, then listens. If listening fails, the driver runtime is closed again.
     *
     * @throws IOException when a socket cannot be bound (another daemon listens there, a bad path)
     */
    public synchronized DaemonRuntime start() throws IOException {
        if (closed) {
            throw new IllegalStateException("daemon runtime closed");
        }
        if (daemon != null) {
            return this;
        }
        driver.start();
        try {
            daemon = new Daemon(driver.loop(), driver.driverManager(), config).start();
        } catch (IOException | RuntimeException e) {
            closed = true;
            driver.close();
            throw e;
        }
        return this;
    }

    /** The daemon. @throws IllegalStateException before {@link #start()} */
    public synchronized Daemon daemon() {
        if (daemon == null) {
            throw new IllegalStateException("daemon runtime not started");
        }
        return daemon;
    }

    public DriverRuntime driver() {
        return driver;
    }

    /** Stops the daemon's clients and sockets only; the driver runtime stays up (for a checker to look). */
    public void stopDaemon(long drainMillis) {
        Daemon d;
        synchronized (this) {
            d = daemon;
        }
        if (d != null) {
            d.stop(drainMillis);
        }
    }

    /** The daemon (10 s drain), then the driver runtime. Idempotent. */
    @Override
    public void close() {
        synchronized (this) {
            if (closed && daemon == null) {
                return;
            }
            closed = true;
        }
        try {
            stopDaemon(10_000);
        } finally {
            driver.close();
        }
    }
}
