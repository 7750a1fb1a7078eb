package org.xlbridge.driver;

import jakarta.inject.Inject;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.libvirt.Connect;
import org.libvirt.LibvirtException;
import org.libvirt.event.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;

/**
 * The libvirt-java connection of a driver, on the driver's loop: {@link DriverRuntime} prepares the loop
 * (the embedded loop becomes libvirt's event implementation through {@link LibvirtEventImpl#register};
 * libvirt's own loop already is libvirt's default one), opens {@code new Connect(uri)} for the configured
 * {@link DriverConfig#libvirtUri()}, and closes it first at teardown. {@link #prepare} is also the one
 * place where the runtime registers the loop when only the driver plugin's URI ({@link DriverConfig#uri()})
 * is a libvirt one; {@link #awaitFreed} then waits for that connection's frees too. Listeners added through
 * {@link #addLifecycleListener} are remembered so the runtime can remove them before closing.
 *
 * <p>Making this object does nothing; everything happens in the runtime's {@code start()} and
 * {@code close()}.
 *
 * <p>libvirt takes one event implementation per process and keeps it: after one runtime registered its
 * embedded loop, a second runtime in the same process on another embedded loop cannot connect
 * ({@code start()} fails with {@link LibvirtEventImpl#register}'s {@code IllegalStateException}, naming
 * the registered loop), nor can a runtime on libvirt's own loop. Use one such runtime per process.
 *
 * <p>Locking: {@code this} guards {@link #loop}, {@link #impl}, {@link #baseline}, {@link #connection}
 * and {@link #listeners}. libvirt calls (connect, add/remove listener, close) are made with it held:
 * they do not call back into this object, and the loop thread never takes it (listener callbacks run
 * without it), so holding it cannot deadlock with the loop.
 */
public final class LibvirtConnections implements LibvirtClients {
    private static final Logger log = LoggerFactory.getLogger(LibvirtConnections.class);

    private final String uri;
    private EventLoop loop;
    private LibvirtEventImpl impl;
    private int baseline;
    private Connect connection;
    private final List<LifecycleListener> listeners = new ArrayList<>();

    @Inject
    public LibvirtConnections(DriverConfig config) {
        this.uri = config.libvirtUri();
    }

    /** The configured URI, or null. */
    public String uri() {
        return uri;
    }

    @Override
    public synchronized void prepare(EventLoop eventLoop) {
        // No URI check: the runtime also prepares the loop for a driver plugin connection to a libvirt URI
        // (DriverConfig.uri), with no libvirt-java connection of its own to open.
        if (loop != null) {
            throw new IllegalStateException("libvirt connections already prepared on " + loop);
        }
        if (eventLoop instanceof LibvirtEventLoop) {
            impl = null; // libvirt's default implementation, registered when the loop was made
        } else {
            impl = LibvirtEventImpl.register(eventLoop);
            baseline = impl.liveRegistrations();
        }
        loop = eventLoop;
    }

    @Override
    public synchronized void open() {
        if (loop == null) {
            throw new IllegalStateException("prepare(loop) must come before open(): libvirt needs its event"
                    + " implementation before the first connection");
        }
        if (uri == null) {
            throw new IllegalStateException("no libvirt URI configured (" + DriverConfig.LIBVIRT_URI_PROPERTY + ")");
        }
        if (connection != null) {
            return;
        }
        try {
            connection = new Connect(uri);
        } catch (LibvirtException e) {
            throw new IllegalStateException("cannot open libvirt connection '" + uri + "': " + e.getMessage(), e);
        }
        log.info("libvirt connection '{}' open on {}", uri, loop);
    }

    /**
     * The open connection.
     *
     * @throws IllegalStateException before the runtime opened it or after it closed it
     */
    public synchronized Connect connection() {
        if (connection == null) {
            throw new IllegalStateException(uri == null
                    ? "no libvirt URI configured (" + DriverConfig.LIBVIRT_URI_PROPERTY + ")"
                    : "libvirt connection '" + uri + "' is not open: start the DriverRuntime first");
        }
        return connection;
    }

    /** libvirt's registrations on the loop when it is our registered implementation, else -1. */
    public synchronized int liveRegistrations() {
        return impl == null ? -1 : impl.liveRegistrations();
    }

    /** Adds a domain lifecycle listener to the connection; the runtime removes it at close. */
    public synchronized void addLifecycleListener(LifecycleListener listener) throws LibvirtException {
        if (listener == null) {
            throw new IllegalArgumentException("null LifecycleListener");
        }
        connection().addLifecycleListener(listener);
        listeners.add(listener);
    }

    /** Removes a listener added by {@link #addLifecycleListener}; unknown ones are ignored. */
    public synchronized void removeLifecycleListener(LifecycleListener listener) throws LibvirtException {
        if (listeners.remove(listener) && connection != null) {
            connection.removeLifecycleListener(listener);
        }
    }

    @Override
    public synchronized void deregisterListeners() {
        for (LifecycleListener l : listeners) {
            try {
                if (connection != null) {
                    connection.removeLifecycleListener(l);
                }
            } catch (LibvirtException e) {
                log.warn("removing a lifecycle listener from '{}' failed: {}", uri, e.getMessage());
            }
        }
        listeners.clear();
    }

    @Override
    public synchronized void closeConnections() {
        if (connection == null) {
            return;
        }
        try {
            int refs = connection.close();
            if (refs > 0) {
                log.warn("libvirt connection '{}' closed but still referenced {} times (unfreed Domain"
                        + " objects?): libvirt keeps its registrations until they are freed", uri, refs);
            }
        } catch (LibvirtException e) {
            log.warn("closing libvirt connection '{}' failed: {}", uri, e.getMessage());
        }
        connection = null;
    }

    @Override
    public boolean awaitFreed(Duration timeout) throws InterruptedException {
        LibvirtEventImpl registered;
        int floor;
        EventLoop l;
        synchronized (this) {
            registered = impl;
            floor = baseline;
            l = loop;
        }
        if (l == null) {
            return true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        if (registered != null) {
            // Our loop: libvirt's registrations are counted, wait until they are back where they were.
            while (registered.liveRegistrations() > floor) {
                if (System.nanoTime() >= deadline) {
                    log.warn("libvirt still has {} registrations on the loop {} after closing '{}'",
                            registered.liveRegistrations() - floor, timeout, uri);
                    return false;
                }
                TimeUnit.MILLISECONDS.sleep(1);
            }
            return true;
        }
        // libvirt's own loop: its registrations are not visible; libvirt frees on the iteration after a
        // remove, so two full round trips through the loop (a timer fired and freed) let them run.
        for (int i = 0; i < 2; i++) {
            if (!roundTrip(l, deadline)) {
                return false;
            }
        }
        return true;
    }

    private static boolean roundTrip(EventLoop l, long deadline) throws InterruptedException {
        CountDownLatch freed = new CountDownLatch(1);
        l.addTimeout(0, l::removeTimeout, freed::countDown);
        return freed.await(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
}
