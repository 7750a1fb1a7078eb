package org.xlbridge.daemon.server;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.daemon.net.UnixListener;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.HandleEvents;

/**
 * The daemon: libvirt's RPC protocol served from an {@link EventLoop}, as libvirtd serves it from its event
 * loop. The listening sockets and every client socket are handles on the loop, keepalive is loop timeouts;
 * there is no thread per client. Calls that reach the driver run on a bounded worker pool (libvirtd's
 * min/max workers) and at most {@link DaemonConfig#maxClientRequests()} per client at once; their replies,
 * and the lifecycle events the driver delivers on the loop thread, go out through each client's bounded
 * output queue, written from the loop.
 *
 * <p>Each client's {@code CONNECT_OPEN} opens its own connection to the {@code xl} driver through the
 * {@link DriverManager} (on {@link DaemonConfig#hostUri()}); the manager's loop must be this daemon's loop
 * and must be turning.
 *
 * <p>Locking: {@link #clients} is a concurrent set; {@code this} guards {@link #listeners},
 * {@link #listenerWatches} and {@link #stopped}. Clients have their own rules ({@link ClientConnection}).
 */
public final class Daemon implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Daemon.class);

    final DaemonConfig config;
    final DriverManager manager;
    final DaemonStats stats = new DaemonStats();
    final CallbackIds callbackIds = new CallbackIds();
    final Dispatcher dispatcher = new Dispatcher(this);
    private final EventLoop loop;
    private final ThreadPoolExecutor workers;
    private final Set<ClientConnection> clients = ConcurrentHashMap.newKeySet();
    private final AtomicLong clientIds = new AtomicLong();
    /** Guarded by this. */
    private final List<UnixListener> listeners = new ArrayList<>();
    /** Guarded by this. */
    private final List<Integer> listenerWatches = new ArrayList<>();
    /** Guarded by this. */
    private boolean stopped;

    public Daemon(EventLoop loop, DriverManager manager, DaemonConfig config) {
        if (manager.environment().loop() != loop) {
            throw new IllegalArgumentException("the driver manager must run on the daemon's loop");
        }
        this.loop = loop;
        this.manager = manager;
        this.config = config;
        AtomicInteger n = new AtomicInteger();
        this.workers = new ThreadPoolExecutor(config.maxWorkers(), config.maxWorkers(), 60, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "xlbridge-daemon-worker-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        workers.allowCoreThreadTimeOut(true);
        for (int i = 0; i < config.minWorkers(); i++) {
            workers.prestartCoreThread();
        }
    }

    /** Binds the sockets (rw 0600, ro 0666) and puts them on the loop. */
    public synchronized Daemon start() throws IOException {
        if (stopped) {
            throw new IllegalStateException("daemon stopped");
        }
        if (!listeners.isEmpty()) {
            return this;
        }
        try {
            listen(UnixListener.bind(config.socket(), 0600, 128), false);
            if (config.readOnlySocket() != null) {
                listen(UnixListener.bind(config.readOnlySocket(), 0666, 128), true);
            }
        } catch (IOException | RuntimeException e) {
            closeListeners();
            workers.shutdownNow();
            throw e;
        }
        log.info("daemon listening on {}{}", config.socket(),
                config.readOnlySocket() == null ? "" : " and read-only on " + config.readOnlySocket());
        return this;
    }

    private void listen(UnixListener l, boolean readOnly) {
        listeners.add(l);
        int w = loop.addHandle(l.fd(), HandleEvents.READABLE, (watch, fd, ev) -> accept(l, readOnly),
                () -> org.xlbridge.posix.Posix.closeQuietly(l.fd()));
        listenerWatches.add(w);
    }

    private void accept(UnixListener l, boolean readOnly) {
        for (int i = 0; i < 64; i++) {
            int fd;
            try {
                fd = l.accept();
            } catch (IOException e) {
                log.warn("accept failed", e);
                return;
            }
            if (fd < 0) {
                return;
            }
            ClientConnection c = new ClientConnection(this, loop, fd, clientIds.incrementAndGet(), readOnly);
            synchronized (this) {
                if (stopped) {
                    org.xlbridge.posix.Posix.closeQuietly(fd);
                    return;
                }
                clients.add(c);
            }
            stats.connectionsAccepted.incrementAndGet();
            c.register();
            log.info("{} connected on {} socket (uid {})", c, readOnly ? "read-only" : "read-write", c.peerUid);
        }
    }

    void execute(Runnable r) {
        try {
            workers.execute(r);
        } catch (RejectedExecutionException e) {
            // stopping: the call is not run; its client is being closed
            log.debug("call refused: the daemon is stopping");
        }
    }

    void clientClosed(ClientConnection c) {
        clients.remove(c);
    }

    /** The event callback ids handed to clients (registered now, wraps). */
    public CallbackIds callbackIds() {
        return callbackIds;
    }

    public DaemonStats.Snapshot stats() {
        return stats.snapshot();
    }

    /** Clients connected now. */
    public int clientCount() {
        return clients.size();
    }

    public DaemonConfig config() {
        return config;
    }

    /**
     * Stops: the sockets stop accepting and their files go; calls in flight may end and their replies go
     * out (bounded by {@code drainMillis}); then every client is closed (its driver connection with it).
     * The driver manager and the loop are the caller's, closed after this in libvirt's order. Any thread
     * but the loop's; idempotent.
     */
    public void stop(long drainMillis) {
        synchronized (this) {
            if (stopped) {
                return;
            }
            stopped = true;
            closeListeners();
        }
        workers.shutdown();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(drainMillis);
        try {
            workers.awaitTermination(Math.max(0, drainMillis), TimeUnit.MILLISECONDS);
            while (System.nanoTime() < deadline && clients.stream().anyMatch(ClientConnection::hasOutput)) {
                Thread.sleep(5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        for (ClientConnection c : List.copyOf(clients)) {
            c.close("daemon stopping");
        }
        workers.shutdownNow();
        log.info("daemon stopped: {}", stats.snapshot());
    }

    private void closeListeners() {
        for (int w : listenerWatches) {
            loop.removeHandle(w); // its free closes the fd on the loop thread
        }
        listenerWatches.clear();
        for (UnixListener l : listeners) {
            l.unlink();
        }
        listeners.clear();
    }

    /** {@link #stop(long)} with a 10 s drain. */
    @Override
    public void close() {
        stop(10_000);
    }
}
