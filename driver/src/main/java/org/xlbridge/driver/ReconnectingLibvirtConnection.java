package org.xlbridge.driver;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.ConnectionCloseReason;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.logging.RepeatedFailureLog;

/**
 * A libvirt-java connection that comes back after the daemon goes away: the documented way for an
 * application to survive a {@code libvirtd} crash or restart.
 *
 * <p>It holds one {@link Connect} to a URI. libvirt must already have its event implementation (our loop
 * registered through {@code LibvirtEventImpl.register}, or libvirt's own loop through
 * {@code LibvirtEventLoop}) and a thread must turn that loop: the keepalive timer and the domain events run
 * there, and so does the close callback, except when libvirt notices the end of the connection while a call
 * is in flight: then the calling thread (inside {@link #withConnection}) runs it. The helper is correct on
 * both: the close callback takes only the monitor, which no thread holds during a libvirt call. On every connection it registers libvirt's connection-closed callback
 * ({@link Connect#registerCloseListener}) and keepalive ({@link Connect#setKeepAlive}); when libvirt
 * reports the connection closed for any reason but {@link ConnectionCloseReason#CLIENT} (the daemon died:
 * {@code EOF}; it stopped answering: {@code KEEPALIVE}; an I/O {@code ERROR}) it:
 * <ol>
 *   <li>tells the application, on the loop thread, through {@link Listener#connectionLost}: the events
 *       between the last one delivered and the reconnect may be lost, and calls in flight fail;</li>
 *   <li>on a reconnect thread of its own (never the loop thread), frees the dead {@link Connect} in
 *       libvirt's order (lifecycle callbacks removed, close callback unregistered, connection closed: libvirt
 *       keeps its registrations on the loop until the connection is freed), then opens a new one with
 *       bounded exponential backoff, registers the close callback and keepalive again and re-adds every
 *       lifecycle listener the application added through {@link #addLifecycleListener};</li>
 *   <li>tells the application {@link Listener#reconnected} with the new generation (1 is the first
 *       connection, each reconnect adds one).</li>
 * </ol>
 *
 * <p>The application makes its calls through {@link #withConnection}, which lends it the current
 * {@link Connect} and never one being freed; while the connection is down it throws
 * {@link NotConnectedException}. Lifecycle listeners added here are wrapped: one that throws is logged
 * and counted ({@link #listenerFailures()}) and never stops the other listeners from getting the event.
 * {@link Domain} objects a call returns keep a reference on their connection: free them, or the dead
 * connection's registrations stay on the loop.
 *
 * <p>{@link #close()} removes the listeners, unregisters the close callback and closes the connection,
 * in that order, and stops the reconnect thread.
 *
 * <p>Locking. {@link #use} (a read-write lock): {@link #withConnection} and {@link #addLifecycleListener}
 * hold its read lock while they use the current connection; the reconnect thread and {@link #close()}
 * hold its write lock while they free one connection or install the next, so no call ever runs on a
 * {@link Connect} being freed. {@code this} (the monitor) guards {@link #current}, {@link #state},
 * {@link #generation}, {@link #listeners} and {@link #lostAt}; it is held only for those fields, never
 * during a libvirt call or an application callback. The loop thread (close callback, listeners) takes
 * only the monitor, never {@link #use}, so a reconnect that holds the write lock cannot block the loop.
 * Lock order: {@link #use} before the monitor.
 */
public final class ReconnectingLibvirtConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ReconnectingLibvirtConnection.class);
    /** Listener failures: the first ten in full, then thinned out. */
    private final RepeatedFailureLog listenerFailureLog = new RepeatedFailureLog(log, 10);

    /** What the application is told about the connection. Called without any lock of the helper held. */
    public interface Listener {
        /**
         * The connection of {@code generation} closed ({@code reason}: EOF, KEEPALIVE or ERROR). Events
         * between the last one delivered and the reconnect may be lost; calls in flight fail. Runs on the
         * loop thread, or on the thread of a call in flight that saw the connection end: do not block in
         * it, and take no lock that a thread calling {@link #withConnection} may hold.
         */
        void connectionLost(long generation, ConnectionCloseReason reason);

        /** A new connection, {@code generation}, is open with every lifecycle listener re-added. Runs on
         * the reconnect thread. */
        void reconnected(long generation);

        /** Attempt {@code attempt} to reconnect failed; the helper tries again after a backoff. */
        default void reconnectFailed(int attempt, Exception cause) {
        }
    }

    /** A call lent the current connection by {@link #withConnection}. */
    @FunctionalInterface
    public interface ConnectionCall<T> {
        T call(Connect connection) throws LibvirtException;
    }

    /** Thrown by {@link #withConnection} while the connection is down (reconnecting) or after close. */
    public static final class NotConnectedException extends IllegalStateException {
        private static final long serialVersionUID = 1L;

        NotConnectedException(String message) {
            super(message);
        }
    }

    /** Timings of a helper. Immutable. */
    public record Options(int keepAliveIntervalSeconds, int keepAliveCount, Duration backoffMin, Duration backoffMax) {
        /** Keepalive every 5 s, 5 unanswered probes; reconnect backoff from 50 ms doubling to 2 s. */
        public static Options defaults() {
            return new Options(5, 5, Duration.ofMillis(50), Duration.ofSeconds(2));
        }

        /**
         * @throws IllegalArgumentException on an interval below 1, a count below 0, or a backoff that is
         *                                  null, not positive, or whose maximum is below its minimum
         */
        public Options {
            if (keepAliveIntervalSeconds < 1) {
                throw new IllegalArgumentException("keepalive interval must be >= 1 s, got " + keepAliveIntervalSeconds);
            }
            if (keepAliveCount < 0) {
                throw new IllegalArgumentException("keepalive count must be >= 0, got " + keepAliveCount);
            }
            if (backoffMin == null || backoffMax == null || backoffMin.isNegative() || backoffMin.isZero()) {
                throw new IllegalArgumentException("reconnect backoff minimum must be > 0, got " + backoffMin);
            }
            if (backoffMax.compareTo(backoffMin) < 0) {
                throw new IllegalArgumentException("reconnect backoff maximum " + backoffMax
                        + " is below its minimum " + backoffMin);
            }
        }
    }

    private enum State { CONNECTED, LOST, CLOSED }

    /** One connection and the close callback registered on it. */
    private static final class Session {
        final Connect connect;
        final long generation;
        /** The close callback fired before the session was installed. Guarded by the helper's monitor. */
        boolean lostEarly;
        /** Why, when {@link #lostEarly}. Guarded by the helper's monitor. */
        ConnectionCloseReason lostReason;

        Session(Connect connect, long generation) {
            this.connect = connect;
            this.generation = generation;
        }
    }

    private final String uri;
    private final Options options;
    private final Listener listener;
    private final ReentrantReadWriteLock use = new ReentrantReadWriteLock();
    /** Guarded by the monitor. Null while reconnecting and after close. */
    private Session current;
    /** Guarded by the monitor. */
    private State state;
    /** Generation of the current (or last) connection. Guarded by the monitor. */
    private long generation;
    /** When the connection was lost (System.nanoTime), for the log. Guarded by the monitor. */
    private long lostAt;
    /** Application listener -> the wrapper registered with libvirt, in the order added. Guarded by the monitor. */
    private final Map<LifecycleListener, LifecycleListener> listeners = new LinkedHashMap<>();
    private final AtomicLong listenerFailures = new AtomicLong();
    private final AtomicLong reconnects = new AtomicLong();
    private final Thread reconnector;

    private ReconnectingLibvirtConnection(String uri, Options options, Listener listener) {
        this.uri = uri;
        this.options = options;
        this.listener = listener;
        this.reconnector = new Thread(this::reconnectLoop, "libvirt-reconnect");
        this.reconnector.setDaemon(true);
    }

    /**
     * Opens the first connection to {@code uri} with {@link Options#defaults()}.
     *
     * @throws IllegalArgumentException if {@code uri} is null or blank or {@code listener} is null
     * @throws LibvirtException         if the first connection cannot be opened (nothing is left behind)
     */
    public static ReconnectingLibvirtConnection open(String uri, Listener listener) throws LibvirtException {
        return open(uri, Options.defaults(), listener);
    }

    /**
     * Opens the first connection to {@code uri}. libvirt's event implementation must be registered and
     * its loop turning.
     *
     * @throws IllegalArgumentException if {@code uri} is null or blank, or {@code options} or
     *                                  {@code listener} is null
     * @throws LibvirtException         if the first connection cannot be opened (nothing is left behind)
     */
    public static ReconnectingLibvirtConnection open(String uri, Options options, Listener listener)
            throws LibvirtException {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException("libvirt URI is null or blank");
        }
        if (options == null) {
            throw new IllegalArgumentException("null Options");
        }
        if (listener == null) {
            throw new IllegalArgumentException("null Listener: the application must hear about lost events");
        }
        ReconnectingLibvirtConnection c = new ReconnectingLibvirtConnection(uri, options, listener);
        Session first = c.connect(1, List.of());
        ConnectionCloseReason lostEarly;
        synchronized (c) {
            c.current = first;
            c.generation = 1;
            // Closed between registering the callback and now: the reconnect thread takes it from here.
            lostEarly = first.lostEarly ? first.lostReason : null;
            c.state = lostEarly == null ? State.CONNECTED : State.LOST;
            c.lostAt = System.nanoTime();
        }
        c.reconnector.start();
        if (lostEarly != null) {
            log.warn("libvirt connection '{}' (generation 1) lost as it opened: {}", uri, lostEarly);
            listener.connectionLost(1, lostEarly);
        } else {
            log.info("libvirt connection '{}' open (generation 1)", uri);
        }
        return c;
    }

    /** The URI this helper connects to. */
    public String uri() {
        return uri;
    }

    /** The generation of the current connection (1 first; one more per reconnect). */
    public synchronized long generation() {
        return generation;
    }

    /** Whether a connection is open now. */
    public synchronized boolean isConnected() {
        return state == State.CONNECTED;
    }

    /** Times the helper reconnected. */
    public long reconnects() {
        return reconnects.get();
    }

    /** Times an application listener threw (each logged; the other listeners still got the event). */
    public long listenerFailures() {
        return listenerFailures.get();
    }

    /**
     * Waits until a connection is open (true) or {@code timeout} passes or the helper is closed (false).
     */
    public synchronized boolean awaitConnected(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (state == State.LOST) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return false;
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
        return state == State.CONNECTED;
    }

    /**
     * Runs {@code call} on the current connection; the connection is not freed while it runs. Calls may
     * block while the helper installs a new connection; avoid them on the loop thread.
     *
     * @throws NotConnectedException    while the connection is down or after {@link #close()}
     * @throws LibvirtException         what the call threw (after a crash: the daemon's connection error)
     * @throws IllegalArgumentException if {@code call} is null
     */
    public <T> T withConnection(ConnectionCall<T> call) throws LibvirtException {
        if (call == null) {
            throw new IllegalArgumentException("null ConnectionCall");
        }
        use.readLock().lock();
        try {
            Session s;
            synchronized (this) {
                s = state == State.CONNECTED ? current : null;
                if (s == null) {
                    throw notConnected();
                }
            }
            return call.call(s.connect);
        } finally {
            use.readLock().unlock();
        }
    }

    private NotConnectedException notConnected() {
        return new NotConnectedException(state == State.CLOSED
                ? "libvirt connection '" + uri + "' is closed"
                : "libvirt connection '" + uri + "' (generation " + generation + ") was lost; reconnecting");
    }

    /**
     * Adds a domain lifecycle listener to the connection and to every later one. The listener runs on the
     * loop thread; if it throws, the exception is logged and counted and the other listeners still get the
     * event. While the connection is down the listener is only remembered; the reconnect adds it.
     *
     * @throws IllegalArgumentException if {@code l} is null or already added
     * @throws NotConnectedException    after {@link #close()}
     * @throws LibvirtException         if libvirt refuses it on a live connection (it is then not kept)
     */
    public void addLifecycleListener(LifecycleListener l) throws LibvirtException {
        if (l == null) {
            throw new IllegalArgumentException("null LifecycleListener");
        }
        LifecycleListener wrapper = wrap(l);
        use.readLock().lock();
        try {
            Session s;
            synchronized (this) {
                if (state == State.CLOSED) {
                    throw notConnected();
                }
                if (listeners.containsKey(l)) {
                    throw new IllegalArgumentException("LifecycleListener " + l + " already added");
                }
                s = state == State.CONNECTED ? current : null;
                listeners.put(l, wrapper);
            }
            if (s != null) {
                try {
                    s.connect.addLifecycleListener(wrapper);
                } catch (LibvirtException | RuntimeException e) {
                    synchronized (this) {
                        if (state == State.CONNECTED && current == s) {
                            listeners.remove(l); // refused by a live connection: nothing half-registered
                            throw e;
                        }
                    }
                    // the connection died meanwhile: the reconnect adds it
                    log.debug("lifecycle listener kept for the reconnect of '{}': {}", uri, e.getMessage());
                }
            }
        } finally {
            use.readLock().unlock();
        }
    }

    /** Removes a listener added through {@link #addLifecycleListener}; an unknown one is ignored. */
    public void removeLifecycleListener(LifecycleListener l) {
        use.readLock().lock();
        try {
            LifecycleListener wrapper;
            Session s;
            synchronized (this) {
                wrapper = listeners.remove(l);
                s = state == State.CONNECTED ? current : null;
            }
            if (wrapper != null && s != null) {
                try {
                    s.connect.removeLifecycleListener(wrapper);
                } catch (LibvirtException e) {
                    log.warn("removing a lifecycle listener from '{}' failed: {}", uri, e.getMessage());
                }
            }
        } finally {
            use.readLock().unlock();
        }
    }

    private LifecycleListener wrap(LifecycleListener l) {
        return new LifecycleListener() {
            @Override
            public int onLifecycleChange(Domain domain, DomainEvent event) {
                try {
                    return l.onLifecycleChange(domain, event);
                } catch (RuntimeException e) {
                    // libvirt-java registers one native callback per listener, so the others get the event
                    // anyway; without this the throw would reach JNA's handler and print to stderr only.
                    listenerFailures.incrementAndGet();
                    listenerFailureLog.failed("lifecycle listener {} threw on {}: {}", l, event, e.toString());
                    return 0;
                }
            }

            @Override
            public String toString() {
                return "guarded(" + l + ")";
            }
        };
    }

    /** Opens a connection of {@code gen} with its close callback, keepalive and listeners; nothing left on failure. */
    private Session connect(long gen, List<LifecycleListener> wrappers) throws LibvirtException {
        Connect c = new Connect(uri);
        Session s = new Session(c, gen);
        List<LifecycleListener> added = new ArrayList<>();
        boolean closeRegistered = false;
        try {
            c.registerCloseListener((conn, reason) -> onClosed(s, reason));
            closeRegistered = true;
            if (!c.setKeepAlive(options.keepAliveIntervalSeconds(), options.keepAliveCount())) {
                log.warn("libvirt connection '{}' does not support keepalive", uri);
            }
            for (LifecycleListener w : wrappers) {
                c.addLifecycleListener(w);
                added.add(w);
            }
            return s;
        } catch (LibvirtException | RuntimeException e) {
            free(c, added, closeRegistered);
            throw e;
        }
    }

    /** The close callback: runs on the loop thread, or on the thread of a call in flight that read the EOF. */
    private void onClosed(Session s, ConnectionCloseReason reason) {
        if (reason == ConnectionCloseReason.CLIENT) {
            return; // we closed it
        }
        synchronized (this) {
            if (current != s || state != State.CONNECTED) {
                s.lostEarly = true; // a session not installed yet (or already replaced): the reconnect sees it
                s.lostReason = reason;
                return;
            }
            state = State.LOST;
            lostAt = System.nanoTime();
            notifyAll();
        }
        log.warn("libvirt connection '{}' (generation {}) lost: {}; events between the last one delivered and"
                + " the reconnect may be lost", uri, s.generation, reason);
        try {
            listener.connectionLost(s.generation, reason);
        } catch (RuntimeException e) {
            log.warn("connectionLost listener threw: {}", e.toString());
        }
    }

    /** The reconnect thread: waits for a loss, frees the dead connection, reconnects with backoff. */
    private void reconnectLoop() {
        try {
            while (true) {
                Session dead;
                synchronized (this) {
                    while (state == State.CONNECTED) {
                        wait();
                    }
                    if (state == State.CLOSED) {
                        return;
                    }
                    dead = current;
                }
                use.writeLock().lock();
                try {
                    List<LifecycleListener> wrappers;
                    synchronized (this) {
                        if (state == State.CLOSED) {
                            return; // close() frees it
                        }
                        current = null;
                        wrappers = new ArrayList<>(listeners.values());
                    }
                    if (dead != null) {
                        free(dead.connect, wrappers, true);
                    }
                } finally {
                    use.writeLock().unlock();
                }
                if (!reconnect()) {
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException | Error e) {
            log.error("libvirt reconnect thread for '{}' failed: no more reconnects", uri, e);
        }
    }

    /** Tries until connected (true) or closed (false). */
    private boolean reconnect() throws InterruptedException {
        long backoff = options.backoffMin().toNanos();
        for (int attempt = 1; ; attempt++) {
            long gen;
            synchronized (this) {
                if (state == State.CLOSED) {
                    return false;
                }
                gen = generation + 1;
            }
            Exception failure;
            use.writeLock().lock();
            try {
                List<LifecycleListener> wrappers;
                synchronized (this) {
                    wrappers = new ArrayList<>(listeners.values());
                }
                try {
                    Session s = connect(gen, wrappers);
                    synchronized (this) {
                        if (state == State.CLOSED || s.lostEarly) {
                            failure = null;
                        } else {
                            current = s;
                            generation = gen;
                            state = State.CONNECTED;
                            notifyAll();
                            reconnects.incrementAndGet();
                            log.info("libvirt connection '{}' reconnected (generation {}, attempt {}, down {} ms)",
                                    uri, gen, attempt, (System.nanoTime() - lostAt) / 1_000_000);
                            s = null;
                        }
                    }
                    if (s == null) {
                        failure = null;
                    } else {
                        free(s.connect, wrappers, true);
                        synchronized (this) {
                            if (state == State.CLOSED) {
                                return false;
                            }
                        }
                        failure = new IllegalStateException("the new connection closed while it was set up");
                    }
                } catch (LibvirtException | RuntimeException e) {
                    failure = e;
                }
            } finally {
                use.writeLock().unlock();
            }
            if (failure == null) {
                try {
                    listener.reconnected(gen);
                } catch (RuntimeException e) {
                    log.warn("reconnected listener threw: {}", e.toString());
                }
                return true;
            }
            log.debug("reconnect attempt {} to '{}' failed: {}", attempt, uri, failure.getMessage());
            try {
                listener.reconnectFailed(attempt, failure);
            } catch (RuntimeException e) {
                log.warn("reconnectFailed listener threw: {}", e.toString());
            }
            synchronized (this) {
                long deadline = System.nanoTime() + backoff;
                while (state != State.CLOSED && System.nanoTime() - deadline < 0) {
                    TimeUnit.NANOSECONDS.timedWait(this, deadline - System.nanoTime());
                }
            }
            backoff = Math.min(backoff * 2, options.backoffMax().toNanos());
        }
    }

    /** Frees a connection in libvirt's order: lifecycle callbacks, close callback, the connection. */
    private void free(Connect c, List<LifecycleListener> wrappers, boolean closeRegistered) {
        for (LifecycleListener w : wrappers) {
            try {
                c.removeLifecycleListener(w);
            } catch (LibvirtException e) {
                // a dead connection cannot tell the daemon; libvirt drops the callback locally anyway
                log.debug("removing a lifecycle listener from a connection to '{}': {}", uri, e.getMessage());
            }
        }
        if (closeRegistered) {
            try {
                c.unregisterCloseListener();
            } catch (LibvirtException e) {
                log.debug("unregistering the close callback of a connection to '{}': {}", uri, e.getMessage());
            }
        }
        try {
            int refs = c.close();
            if (refs > 0) {
                log.info("libvirt connection to '{}' closed, still referenced {} times (unfreed Domain objects):"
                        + " its registrations stay on the loop until they are freed", uri, refs);
            }
        } catch (LibvirtException e) {
            log.warn("closing a libvirt connection to '{}' failed: {}", uri, e.getMessage());
        }
    }

    /**
     * Removes the listeners, unregisters the close callback, closes the connection (libvirt's order) and
     * stops the reconnect thread. Idempotent. libvirt frees its registrations on the loop afterwards,
     * once every {@link Domain} of the connection is freed.
     */
    @Override
    public void close() {
        Session s;
        List<LifecycleListener> wrappers;
        synchronized (this) {
            if (state == State.CLOSED) {
                return;
            }
            state = State.CLOSED;
            notifyAll();
        }
        use.writeLock().lock();
        try {
            synchronized (this) {
                s = current;
                current = null;
                wrappers = new ArrayList<>(listeners.values());
                listeners.clear();
            }
            if (s != null) {
                free(s.connect, wrappers, true);
            }
        } finally {
            use.writeLock().unlock();
        }
        if (Thread.currentThread() != reconnector) {
            try {
                reconnector.join(TimeUnit.SECONDS.toMillis(30));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            if (reconnector.isAlive()) {
                log.warn("libvirt reconnect thread for '{}' still running 30 s after close", uri);
            }
        }
        log.info("libvirt connection '{}' closed after {} reconnects", uri, reconnects.get());
    }

    @Override
    public synchronized String toString() {
        return "ReconnectingLibvirtConnection[" + uri + ", " + state + ", generation " + generation + "]";
    }
}
