package org.xlbridge.driver;

import com.google.inject.Provider;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.libxl.LibxlContext;

/**
 * Owns a driver's lifecycle. Nothing exists until {@link #start()}: injecting this object makes nothing
 * (it holds Guice providers), so building the injector does no I/O. {@code start()}:
 * <ol>
 *   <li>makes the loop and, with the driver plugin installed
 *       ({@link org.xlbridge.driver.spi.DriverPluginModule}), the {@link DriverManager} on it, and picks the
 *       driver for {@link DriverConfig#uri()} (an unknown URI fails here, before anything is registered);</li>
 *   <li>with a libvirt URI configured ({@link DriverConfig#libvirtUri()}), or a plugin URI whose driver
 *       {@linkplain org.xlbridge.driver.spi.Driver#needsLibvirtEventImpl() needs it}, makes the loop
 *       libvirt's event implementation ({@link LibvirtClients#prepare}) — before anything connects, as
 *       libvirt requires;</li>
 *   <li>makes the libxl state (ctx and bridge) and starts the loop thread ("xlbridge-loop");</li>
 *   <li>opens the libvirt connection ({@link LibvirtClients#open}) on the turning loop, then the plugin's
 *       connection ({@link DriverManager#open}), which {@link #connection()} hands out.</li>
 * </ol>
 * {@link #close()} tears down in libvirt's order and then libxl's:
 * <ol>
 *   <li>close the {@link DriverManager} (its connections, then its driver states); deregister libvirt
 *       listeners, close the libvirt connection, and let libvirt's frees run on the still turning loop
 *       (bounded by {@link DriverConfig#drainTimeout()});</li>
 *   <li>close the ctx: it deregisters what it holds (timeouts by modify(ASAP), fds by fdDeregister);</li>
 *   <li>let the loop run until the bridge has been told to free every registration (bounded): the
 *       pending timers fire into the closed ctx and are ignored there;</li>
 *   <li>stop the loop, join its thread, close it (which runs any free still outstanding).</li>
 * </ol>
 * The first three steps are {@link #quiesce()}, which a checker may call to look at the quiescent
 * state before the loop stops. At the end invariant I4 holds: no live timeouts or handles in the loop,
 * no live registration in the bridge, no busy nexus in the ctx.
 *
 * <p>Locking: {@code this} guards {@link #loop}, {@link #state}, {@link #libvirt}, {@link #manager},
 * {@link #connection}, {@link #loopThread} and the lifecycle flags; the fields are volatile too so the accessors read them without the lock. The lock
 * is not held while waiting for frees or joining the thread; {@link #quiesceLock} serialises teardown.
 */
public final class DriverRuntime implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DriverRuntime.class);

    private final Provider<EventLoop> loopProvider;
    private final Provider<LibxlDriverState> stateProvider;
    private final Provider<LibvirtClients> libvirtProvider;
    // Present when the driver plugin is installed (an OptionalBinder set by DriverPluginModule).
    private final Optional<Provider<DriverManager>> managerProvider;
    private final String pluginUri;
    private final boolean libvirtConfigured;
    private final Duration drainTimeout;
    // Serialises quiesce() and close(): taken before this, never inside it.
    private final Object quiesceLock = new Object();
    // Written under this.
    private volatile EventLoop loop;
    // Written under this.
    private volatile LibxlDriverState state;
    // Written under this; null without a libvirt URI.
    private volatile LibvirtClients libvirt;
    // Written under this; null without the driver plugin.
    private volatile DriverManager manager;
    // Written under this; the plugin connection start() opened, null before.
    private volatile Connect connection;
    // Written under this.
    private volatile Thread loopThread;
    // Guarded by this.
    private boolean closed;
    // Guarded by quiesceLock.
    private boolean quiesced;

    /**
     * @param manager present when the driver plugin is installed: {@code start()} then opens
     *                {@link DriverConfig#uri()} with it
     */
    @Inject
    public DriverRuntime(Provider<EventLoop> loop, Provider<LibxlDriverState> state,
                         Provider<LibvirtClients> libvirt, Optional<Provider<DriverManager>> manager,
                         DriverConfig config) {
        this.loopProvider = loop;
        this.stateProvider = state;
        this.libvirtProvider = libvirt;
        this.managerProvider = manager;
        this.pluginUri = config.uri();
        this.libvirtConfigured = config.libvirtUri() != null;
        this.drainTimeout = config.drainTimeout();
    }

    /**
     * Makes the loop and the libxl state, starts the loop thread and, when a libvirt URI is configured,
     * connects to it on that loop; with the driver plugin installed, opens {@link DriverConfig#uri()}.
     * Idempotent. If any step fails, everything made so far is closed again and so is this runtime (a new
     * injector makes a new one).
     *
     * @throws IllegalStateException after {@link #close()}, or when the libvirt connection cannot be opened
     *         or the loop cannot be registered with libvirt (another loop already is)
     * @throws org.xlbridge.driver.api.DriverException when no driver accepts the plugin URI (the message
     *         lists the drivers found) or the driver cannot open it
     * @throws org.xlbridge.eventloop.EventLoopException when libvirt.so.0 is needed and missing, or another
     *         event implementation is already in place in libvirt
     */
    public DriverRuntime start() {
        LibvirtClients toOpen;
        DriverManager plugin;
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("driver runtime is closed");
            }
            if (loopThread != null) {
                return this;
            }
            EventLoop l = loopProvider.get();
            LibvirtClients lv = null;
            DriverManager m = null;
            LibxlDriverState s;
            try {
                boolean pluginNeedsLibvirt = false;
                if (managerProvider.isPresent()) {
                    m = managerProvider.get().get();
                    if (m.environment().loop() != l) {
                        throw new IllegalStateException("the driver manager runs on " + m.environment().loop()
                                + ", not on the bound loop " + l + ": bind EventLoop as a singleton");
                    }
                    pluginNeedsLibvirt = m.driverFor(pluginUri).needsLibvirtEventImpl();
                }
                if (libvirtConfigured || pluginNeedsLibvirt) {
                    lv = libvirtProvider.get();
                    lv.prepare(l);
                }
                s = stateProvider.get();
                if (s.loop() != l) {
                    throw new IllegalStateException("the libxl state's bridge is on " + s.loop()
                            + ", not on the bound loop " + l + ": bind EventLoop as a singleton");
                }
            } catch (RuntimeException e) {
                closed = true;
                if (m != null) {
                    m.close(); // nothing opened with it yet
                }
                l.close(); // nothing registered on it yet, nothing turning it
                throw e;
            }
            loop = l;
            state = s;
            libvirt = lv;
            manager = m;
            plugin = m;
            Thread t = new Thread(this::runLoop, "xlbridge-loop");
            t.setDaemon(true);
            loopThread = t;
            t.start();
            toOpen = libvirtConfigured ? lv : null;
        }
        try {
            if (toOpen != null) {
                toOpen.open();
            }
            if (plugin != null) {
                Connect c = plugin.open(pluginUri);
                synchronized (this) {
                    connection = c;
                }
                log.info("driver connection '{}' open", pluginUri);
            }
        } catch (RuntimeException e) {
            close();
            throw e;
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

    /** True once {@link #start()} made the loop and until {@link #close()}. */
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

    /**
     * The driver plugin's connection to {@link DriverConfig#uri()}, opened by {@link #start()}; the
     * {@code Connect} that {@link org.xlbridge.driver.spi.DriverPluginModule} provides.
     *
     * @throws IllegalStateException without the plugin installed, before {@link #start()} opened it, or
     *         after {@link #close()}
     */
    public Connect connection() {
        if (managerProvider.isEmpty()) {
            throw new IllegalStateException("no driver plugin installed: install DriverPluginModule to get a"
                    + " connection to " + DriverConfig.URI_PROPERTY + " (" + pluginUri + ")");
        }
        synchronized (this) {
            if (closed) {
                throw new IllegalStateException("driver runtime is closed: connection '" + pluginUri
                        + "' was closed with it");
            }
            if (connection == null) {
                throw new IllegalStateException("connection '" + pluginUri
                        + "' is not open: call DriverRuntime.start() first");
            }
            return connection;
        }
    }

    /**
     * The driver manager {@link #start()} opened the plugin connection with.
     *
     * @throws IllegalStateException without the plugin installed or before {@link #start()}
     */
    public DriverManager driverManager() {
        DriverManager m = manager;
        if (m == null) {
            throw new IllegalStateException(managerProvider.isEmpty()
                    ? "no driver plugin installed (DriverPluginModule)"
                    : "driver runtime not started: call start() first");
        }
        return m;
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

    /**
     * The first part of {@link #close()}: the driver manager closed (plugin connections, then driver
     * states), libvirt listeners removed, connection closed and its frees run, ctx closed, bridge drained; the loop keeps turning, so a checker can look at the quiescent state.
     * Idempotent; does nothing before {@link #start()}.
     *
     * @return true if libvirt's frees and the bridge's all ran within the drain timeout
     */
    public boolean quiesce() {
        synchronized (quiesceLock) {
            if (quiesced || state == null) {
                return true;
            }
            quiesced = true;
            boolean complete = true;
            try {
                DriverManager m = manager;
                if (m != null) {
                    m.close(); // its connections first, while the loop turns and the ctx is open
                }
                LibvirtClients lv = libvirt;
                if (lv != null) {
                    lv.deregisterListeners();
                    lv.closeConnections();
                    if (!lv.awaitFreed(drainTimeout)) {
                        log.warn("libvirt's registrations not freed after {} (closing the loop frees the rest)",
                                drainTimeout);
                        complete = false;
                    }
                }
                LibxlDriverState s = state;
                s.context().close();
                if (!s.bridge().awaitDrained(drainTimeout)) {
                    log.warn("bridge not drained after {}: {} (closing the loop frees the rest)", drainTimeout,
                            s.bridge().stats());
                    complete = false;
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                complete = false;
            }
            return complete;
        }
    }

    /** {@link #quiesce()}, then stops the loop, joins its thread and closes the loop. Idempotent. */
    @Override
    public void close() {
        synchronized (quiesceLock) {
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
            quiesce();
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
}
