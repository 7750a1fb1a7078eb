package org.xlbridge.daemon.server;

import com.sun.jna.LastErrorException;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.libvirt.event.DomainEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.daemon.net.UnixSockets;
import org.xlbridge.daemon.remote.RemoteDomain;
import org.xlbridge.daemon.remote.RemoteProtocol;
import org.xlbridge.daemon.rpc.FrameDecoder;
import org.xlbridge.daemon.rpc.Frames;
import org.xlbridge.daemon.rpc.Header;
import org.xlbridge.daemon.xdr.XdrWriter;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.LifecycleListener;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.posix.Posix;

/**
 * One client socket: a handle on the daemon's loop, its frame decoder, its bounded output queue, its
 * keepalive timer, its driver connection and its event callbacks.
 *
 * <p>Threads and locking:
 * <ul>
 *   <li>Loop thread only (no lock): {@link #decoder}, {@link #writing}/{@link #writeOffset} (mirrored in the
 *       volatile {@link #writePending}), the keepalive
 *       fields, {@link #callbacks}, {@link #legacyLifecycle}, {@link #listener}. Reads, writes, frame
 *       handling, loop-run procedures and event delivery all happen there.</li>
 *   <li>{@code this} guards {@link #output}, {@link #inFlight}, {@link #pending} and {@link #closed}
 *       (also volatile for unlocked checks), and the interest update: the events asked of the loop are
 *       computed and handed to {@code updateHandle} under it, so a worker's "something to write" and the
 *       loop's "queue drained" cannot land in the wrong order. Lock order: this, then the loop's own lock
 *       (inside {@code updateHandle}); the loop never calls back into this class while holding its lock.</li>
 *   <li>Volatile, written by workers (CONNECT_OPEN/CLOSE), read anywhere: {@link #conn}, {@link #readOnly}.</li>
 * </ul>
 */
public final class ClientConnection {
    private static final Logger log = LoggerFactory.getLogger(ClientConnection.class);
    private static final int READ_CHUNK = 65536;

    final Daemon daemon;
    final int fd;
    final long id;
    final int peerPid;
    final int peerUid;
    private final EventLoop loop;
    private volatile int watch = -1;
    private final FrameDecoder decoder = new FrameDecoder();
    private final byte[] readBuf = new byte[READ_CHUNK];

    /** Guarded by this. Frames waiting to be written, oldest first. */
    private final ArrayDeque<byte[]> output = new ArrayDeque<>();
    /** Guarded by this. Calls running on workers. */
    private int inFlight;
    /** Guarded by this. Calls decoded while {@link #inFlight} was at its bound, oldest first. */
    private final ArrayDeque<Runnable> pending = new ArrayDeque<>();
    /** Guarded by this; volatile for unlocked checks. */
    private volatile boolean closed;

    /** Loop thread only. The frame being written and how much of it went out. */
    private byte[] writing;
    private int writeOffset;
    /** Written by the loop thread: a frame is partly written ({@link #writing} is set). */
    private volatile boolean writePending;

    /** Loop thread only: keepalive. */
    private int keepaliveTimer = -1;
    private long lastReceiveNanos = System.nanoTime();
    private int unansweredPings;

    /** Loop thread only: event callbacks by id, and the legacy (pre-callback) lifecycle registration. */
    final Map<Integer, EventCallback> callbacks = new LinkedHashMap<>();
    boolean legacyLifecycle;
    LifecycleListener listener;

    volatile Connect conn;
    volatile boolean readOnly;

    /** One CALLBACK_REGISTER_ANY: the event id and an optional domain filter. */
    record EventCallback(int eventId, UUID domain) {
    }

    ClientConnection(Daemon daemon, EventLoop loop, int fd, long id, boolean readOnlySocket) {
        this.daemon = daemon;
        this.loop = loop;
        this.fd = fd;
        this.id = id;
        this.readOnly = readOnlySocket;
        int[] cred = UnixSockets.peerCredentials(fd);
        this.peerPid = cred == null ? -1 : cred[0];
        this.peerUid = cred == null ? -1 : cred[1];
    }

    /** Puts the socket on the loop. Called once, on the loop thread, right after accept. */
    void register() {
        watch = loop.addHandle(fd, HandleEvents.READABLE, (w, f, ev) -> onEvent(ev), this::freed);
    }

    /**
     * The handle's free: on the loop thread, once no callback of this client can run (event registrations
     * run in its handle callback). Closes the fd and gives the client's event callback ids back.
     */
    private void freed() {
        Posix.closeQuietly(fd);
        for (Integer cb : callbacks.keySet()) {
            daemon.callbackIds.release(cb);
        }
        callbacks.clear();
    }

    boolean isClosed() {
        return closed;
    }

    // ------------------------------------------------------------------------------------------ I/O (loop)

    private void onEvent(int events) {
        if (closed) {
            return;
        }
        if ((events & HandleEvents.WRITABLE) != 0) {
            flush();
        }
        if (!closed && (events & (HandleEvents.READABLE | HandleEvents.HANGUP | HandleEvents.ERROR)) != 0) {
            read();
        }
    }

    private void read() {
        for (int round = 0; round < 4 && !closed; round++) {
            long n;
            try {
                n = UnixSockets.recv(fd, readBuf, readBuf.length, UnixSockets.MSG_DONTWAIT);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == UnixSockets.EAGAIN || e.getErrorCode() == UnixSockets.EINTR) {
                    return;
                }
                close("read failed: errno " + e.getErrorCode());
                return;
            }
            if (n == 0) {
                close("client closed the connection");
                return;
            }
            lastReceiveNanos = System.nanoTime();
            unansweredPings = 0;
            try {
                decoder.feed(readBuf, 0, (int) n, this::onFrame);
            } catch (FrameDecoder.FrameException e) {
                daemon.stats.badFrames.incrementAndGet();
                close(e.getMessage());
                return;
            }
            if (n < readBuf.length) {
                return;
            }
        }
    }

    private void onFrame(byte[] frame) {
        if (closed) {
            return;
        }
        try {
            daemon.dispatcher.dispatch(this, frame);
        } catch (RuntimeException e) {
            // Nothing a client sends may escape the loop: log, and drop this client only.
            log.warn("client {}: dispatch failed, closing it", id, e);
            close("dispatch failed: " + e);
        }
    }

    /** Writes what the socket takes now; keeps WRITABLE interest while frames remain. Loop thread. */
    private void flush() {
        while (!closed) {
            if (writing == null) {
                synchronized (this) {
                    writing = output.poll();
                }
                writeOffset = 0;
                if (writing == null) {
                    updateInterest();
                    return;
                }
            }
            long n;
            try {
                byte[] chunk = writeOffset == 0 ? writing
                        : java.util.Arrays.copyOfRange(writing, writeOffset, writing.length);
                n = UnixSockets.send(fd, chunk, chunk.length, UnixSockets.MSG_NOSIGNAL | UnixSockets.MSG_DONTWAIT);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == UnixSockets.EAGAIN || e.getErrorCode() == UnixSockets.EINTR) {
                    return;
                }
                close("write failed: errno " + e.getErrorCode());
                return;
            }
            writeOffset += (int) n;
            if (writeOffset >= writing.length) {
                writing = null;
                writePending = false;
            } else {
                writePending = true;
                return; // the socket is full: WRITABLE stays asked for
            }
        }
    }

    /** Asks the loop for the events this client needs now. Any thread. */
    void updateInterest() {
        synchronized (this) {
            if (closed || watch < 0) {
                return;
            }
            int ev = 0;
            if (inFlight < daemon.config.maxClientRequests()) {
                ev |= HandleEvents.READABLE;
            }
            if (!output.isEmpty() || writePending) {
                ev |= HandleEvents.WRITABLE;
            }
            loop.updateHandle(watch, ev);
        }
    }

    /**
     * Queues a whole frame for the client. Any thread. A client whose queue is full (it stopped reading)
     * is dropped: its connection closes, which its library reports; nothing else is affected.
     *
     * @return false when the client is closed (the frame is dropped)
     */
    boolean send(byte[] frame) {
        boolean overflow;
        synchronized (this) {
            if (closed) {
                return false;
            }
            overflow = output.size() >= daemon.config.maxQueuedMessages();
            if (!overflow) {
                output.add(frame);
            }
        }
        if (overflow) {
            daemon.stats.outputOverflowDrops.incrementAndGet();
            log.warn("client {} (pid {}): {} messages queued and not read: dropping the client", id, peerPid,
                    daemon.config.maxQueuedMessages());
            close("output queue full");
            return false;
        }
        updateInterest();
        return true;
    }

    /** Sends an empty-bodied keepalive message (PING or PONG). */
    void sendKeepalive(int procedure) {
        send(Frames.encode(new Header(RemoteProtocol.KEEPALIVE_PROGRAM, RemoteProtocol.KEEPALIVE_VERSION, procedure,
                Header.MESSAGE, 0, Header.OK), null));
    }

    // ------------------------------------------------------------------------------------------ workers

    /** Runs a call on the worker pool within this client's bound; beyond it the call waits here. Loop thread. */
    void submit(Runnable call) {
        boolean runNow;
        synchronized (this) {
            if (closed) {
                return;
            }
            runNow = inFlight < daemon.config.maxClientRequests();
            if (runNow) {
                inFlight++;
            } else {
                pending.add(call);
            }
        }
        if (runNow) {
            daemon.execute(() -> runCall(call));
        }
        updateInterest();
    }

    private void runCall(Runnable call) {
        Runnable next = call;
        while (next != null) {
            try {
                next.run();
            } catch (RuntimeException e) {
                log.error("client {}: a call failed outside its error handling", id, e);
            }
            synchronized (this) {
                next = closed ? null : pending.poll();
                if (next == null) {
                    inFlight--;
                }
            }
        }
        updateInterest();
    }

    // ------------------------------------------------------------------------------------------ keepalive

    /** Starts pinging this client when idle (it asked for keepalive with SUPPORTS_FEATURE). Loop thread. */
    void startKeepalive() {
        if (keepaliveTimer >= 0 || closed) {
            return;
        }
        int ms = (int) Math.min(Integer.MAX_VALUE, daemon.config.keepaliveInterval().toMillis());
        keepaliveTimer = loop.addTimeout(ms, t -> keepaliveTick(), null);
    }

    private void keepaliveTick() {
        if (closed) {
            return;
        }
        long idle = System.nanoTime() - lastReceiveNanos;
        if (idle < daemon.config.keepaliveInterval().toNanos()) {
            return;
        }
        if (unansweredPings >= daemon.config.keepaliveCount()) {
            daemon.stats.keepaliveDrops.incrementAndGet();
            close("no answer to " + unansweredPings + " keepalive pings");
            return;
        }
        unansweredPings++;
        daemon.stats.pingsSent.incrementAndGet();
        sendKeepalive(RemoteProtocol.KEEPALIVE_PING);
    }

    // ------------------------------------------------------------------------------------------ events (loop)

    /** Adds the driver listener once the first callback is registered. Loop thread. */
    void ensureListener() {
        if (listener == null && conn != null) {
            listener = this::onLifecycle;
            conn.addLifecycleListener(listener);
        }
    }

    /** Removes the driver listener when no callback is left. Loop thread. */
    void dropListenerIfUnused() {
        if (listener != null && callbacks.isEmpty() && !legacyLifecycle) {
            Connect c = conn;
            if (c != null) {
                c.removeLifecycleListener(listener);
            }
            listener = null;
        }
    }

    private void onLifecycle(Domain domain, DomainEvent event) {
        if (closed) {
            return;
        }
        RemoteDomain dom = daemon.dispatcher.remoteDomain(domain);
        int type = event.getType().ordinal();
        Enum<?> detailEnum = event.getDetail();
        int detail = detailEnum == null ? 0 : detailEnum.ordinal();
        for (Map.Entry<Integer, EventCallback> e : callbacks.entrySet()) {
            EventCallback cb = e.getValue();
            if (cb.eventId() != RemoteProtocol.EVENT_ID_LIFECYCLE
                    || (cb.domain() != null && !cb.domain().equals(dom.uuid()))) {
                continue;
            }
            XdrWriter w = new XdrWriter();
            w.writeInt(e.getKey());
            dom.write(w);
            w.writeInt(type).writeInt(detail);
            sendEvent(org.xlbridge.daemon.remote.Procedure.DOMAIN_EVENT_CALLBACK_LIFECYCLE.number(), w);
        }
        if (legacyLifecycle) {
            XdrWriter w = new XdrWriter();
            dom.write(w);
            w.writeInt(type).writeInt(detail);
            sendEvent(org.xlbridge.daemon.remote.Procedure.DOMAIN_EVENT_LIFECYCLE.number(), w);
        }
    }

    private void sendEvent(int procedure, XdrWriter body) {
        if (send(Frames.encode(new Header(RemoteProtocol.PROGRAM, RemoteProtocol.VERSION, procedure, Header.MESSAGE,
                0, Header.OK), body.toByteArray()))) {
            daemon.stats.eventsSent.incrementAndGet();
        }
    }

    // ------------------------------------------------------------------------------------------ closing

    /**
     * Closes the client: no more reads or writes, its handle and keepalive timer leave the loop (the fd is
     * closed by the handle's free, on the loop thread), its driver connection closes (its listener with
     * it). Any thread; idempotent. Replies of calls still running are dropped when they end.
     */
    void close(String why) {
        int w;
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
            w = watch;
            output.clear();
            pending.clear();
        }
        log.info("client {} (pid {}, uid {}) closed: {}", id, peerPid, peerUid, why);
        daemon.stats.connectionsClosed.incrementAndGet();
        if (w >= 0) {
            loop.removeHandle(w);
        } else {
            Posix.closeQuietly(fd);
        }
        int t = keepaliveTimer;
        if (t >= 0) {
            loop.removeTimeout(t);
        }
        Connect c = conn;
        conn = null;
        if (c != null) {
            try {
                c.close();
            } catch (RuntimeException e) {
                log.warn("client {}: closing its driver connection failed", id, e);
            }
        }
        daemon.clientClosed(this);
    }

    /** True while replies or events wait to be written. */
    synchronized boolean hasOutput() {
        return !output.isEmpty() || writePending;
    }

    /** Calls running or waiting. */
    synchronized int callsInProgress() {
        return inFlight + pending.size();
    }

    @Override
    public String toString() {
        return "client " + id + " (fd " + fd + ", pid " + peerPid + ")";
    }
}
