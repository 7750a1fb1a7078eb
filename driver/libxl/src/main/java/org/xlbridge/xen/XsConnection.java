package org.xlbridge.xen;

import com.sun.jna.LastErrorException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.posix.PollFds;
import org.xlbridge.posix.Posix;

/**
 * A client's connection to the {@link XenStore}: the simulation's {@code xs_handle}. Reads and writes go straight to
 * the store; watch notifications come back asynchronously as lines {@code "path\ttoken\n"} on a real pipe, written
 * by this connection's own writer thread, so the client watches {@link #fd()} with poll(2) exactly as libxl watches
 * xenstore's socket, and drains it with {@link #readWatchEvents()} ({@code xs_check_watch}).
 *
 * <p>If the writer thread dies ({@link #killWriter()}, standing in for xenstored going away), the write end is
 * closed: the fd reports POLLIN|POLLHUP, {@link #readWatchEvents()} returns what was still buffered and then throws
 * {@link XenException.Kind#CONNECTION_LOST}, and every later request on the connection throws the same.
 *
 * <p>Locking: {@link #queueLock} guards the outgoing queue and the writer's state flags; it is taken inside the
 * store's lock (the store enqueues while holding it) and never the other way round. {@link #readLock} guards the
 * reader's partial line; the reader never holds it while taking another lock. The fds are final.
 */
public final class XsConnection implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(XsConnection.class);

    private final XenStore store;
    private final String name;
    private final int readFd;
    private final int writeFd;
    private final Thread writer;

    private final Object queueLock = new Object();
    /** Lines waiting for the writer. Guarded by queueLock. */
    private final ArrayDeque<byte[]> outgoing = new ArrayDeque<>();
    /** Guarded by queueLock. */
    private boolean closed;
    /** The writer was told to die (test hook) or died. Guarded by queueLock. */
    private boolean writerDead;
    /** Guarded by queueLock. */
    private long eventsQueued;
    /** Notifications written to the pipe or dropped. Guarded by queueLock. */
    private long eventsDone;

    private final Object readLock = new Object();
    /** Bytes of an incomplete line. Guarded by readLock. */
    private final StringBuilder partial = new StringBuilder();
    /** EOF seen on the read end. Guarded by readLock. */
    private boolean eof;
    /** Guarded by readLock. */
    private boolean readFdClosed;

    XsConnection(XenStore store, String name) {
        this.store = store;
        this.name = name;
        int[] p = new int[2];
        try {
            Posix.pipe2(p, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new XenException(XenException.Kind.CONNECTION_LOST, "cannot make the xenstore pipe: errno "
                    + Posix.errno(e));
        }
        this.readFd = p[0];
        this.writeFd = p[1];
        this.writer = new Thread(this::writeLoop, "xenstore-writer-" + name);
        writer.setDaemon(true);
        writer.start();
    }

    /** The fd that becomes readable when watch notifications are waiting. */
    public int fd() {
        return readFd;
    }

    /** The store this connection talks to. */
    public XenStore store() {
        return store;
    }

    /**
     * Sets a watch ({@code xs_watch}); it fires once at once, then on every change at or below {@code path}.
     *
     * @throws XenException CONNECTION_LOST if the connection is closed or its writer died; INVALID for a bad path
     *                      or token, or a watch already set with this path and token
     */
    public void watch(String path, String token) {
        ensureUsable("watch " + path);
        store.watch(this, path, token);
    }

    /** Removes a watch ({@code xs_unwatch}); returns whether it was set. Works on a broken connection too. */
    public boolean unwatch(String path, String token) {
        return store.unwatch(this, path, token);
    }

    /** {@code xs_read}: the value, or null if there is no such node. */
    public String read(String path) {
        ensureUsable("read " + path);
        return store.read(path);
    }

    /** {@code xs_write}. */
    public void write(String path, String value) {
        ensureUsable("write " + path);
        store.write(path, value);
    }

    /** {@code xs_rm}: whether the node existed. */
    public boolean rm(String path) {
        ensureUsable("rm " + path);
        return store.rm(path);
    }

    /** {@code xs_directory}. */
    public List<String> directory(String path) {
        ensureUsable("directory " + path);
        return store.directory(path);
    }

    /**
     * Reads every complete notification waiting on the fd without blocking ({@code xs_check_watch} in a loop).
     *
     * @return the notifications, oldest first (empty if none is waiting)
     * @throws XenException CONNECTION_LOST when the writer died and nothing more is buffered
     */
    public List<XsWatchEvent> readWatchEvents() {
        List<XsWatchEvent> out = new ArrayList<>();
        synchronized (readLock) {
            if (readFdClosed) {
                throw new XenException(XenException.Kind.CONNECTION_LOST, "xenstore connection " + name
                        + " is closed");
            }
            byte[] buf = new byte[8192];
            while (!eof) {
                long n;
                try {
                    n = Posix.read(readFd, buf, buf.length);
                } catch (LastErrorException e) {
                    int errno = Posix.errno(e);
                    if (errno == Posix.EINTR) {
                        continue;
                    }
                    if (errno == Posix.EAGAIN) {
                        break;
                    }
                    throw new XenException(XenException.Kind.CONNECTION_LOST, "reading xenstore connection "
                            + name + " failed: errno " + errno);
                }
                if (n == 0) {
                    eof = true;
                    break;
                }
                partial.append(new String(buf, 0, (int) n, StandardCharsets.US_ASCII));
            }
            int start = 0;
            int nl;
            while ((nl = partial.indexOf("\n", start)) >= 0) {
                String line = partial.substring(start, nl);
                start = nl + 1;
                int tab = line.indexOf('\t');
                if (tab > 0) {
                    out.add(new XsWatchEvent(line.substring(0, tab), line.substring(tab + 1)));
                } else {
                    log.warn("{}: malformed notification line '{}' ignored", name, line);
                }
            }
            partial.delete(0, start);
            if (eof && out.isEmpty()) {
                throw new XenException(XenException.Kind.CONNECTION_LOST, "xenstore connection " + name
                        + " lost: its writer is gone (EOF on fd " + readFd + ")");
            }
        }
        return out;
    }

    /**
     * Test hook: the writer thread dies at once, dropping what it had not written, and closes the write end, as if
     * xenstored went away. The fd then reads EOF.
     */
    public void killWriter() {
        synchronized (queueLock) {
            writerDead = true;
            outgoing.clear();
            queueLock.notifyAll();
        }
        joinWriter();
    }

    /** Whether the writer thread is gone (killed or closed). */
    public boolean isBroken() {
        synchronized (queueLock) {
            return writerDead || closed;
        }
    }

    /** Notifications queued since the connection opened. */
    public long eventsQueued() {
        synchronized (queueLock) {
            return eventsQueued;
        }
    }

    /**
     * Waits until every notification queued so far is in the pipe (or dropped because the writer died), at most
     * {@code timeoutMs}; for tests that must know the fd is as readable as it will get.
     *
     * @return whether it got there in time
     */
    public boolean awaitFlushed(long timeoutMs) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        synchronized (queueLock) {
            while (eventsDone < eventsQueued && !writerDead && !closed) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                queueLock.wait(Math.max(1, left / 1_000_000L));
            }
            return true;
        }
    }

    /** Removes this connection's watches, stops the writer and closes both fds. Idempotent. */
    @Override
    public void close() {
        store.unwatchAll(this);
        synchronized (queueLock) {
            if (closed) {
                return;
            }
            closed = true;
            outgoing.clear();
            queueLock.notifyAll();
        }
        joinWriter();
        synchronized (readLock) {
            if (!readFdClosed) {
                readFdClosed = true;
                Posix.closeQuietly(readFd);
            }
        }
    }

    @Override
    public String toString() {
        return "XsConnection[" + name + ", fd " + readFd + "]";
    }

    // ------------------------------------------------------------------ the writer side

    /** Called by the store, holding the store's lock. */
    void enqueue(String path, String token) {
        byte[] line = (path + "\t" + token + "\n").getBytes(StandardCharsets.US_ASCII);
        synchronized (queueLock) {
            if (closed || writerDead) {
                return;
            }
            outgoing.addLast(line);
            eventsQueued++;
            queueLock.notifyAll();
        }
    }

    private void writeLoop() {
        try (PollFds pfd = new PollFds(1)) {
            while (true) {
                byte[] line;
                synchronized (queueLock) {
                    while (outgoing.isEmpty() && !closed && !writerDead) {
                        queueLock.wait();
                    }
                    if (closed || writerDead) {
                        return;
                    }
                    line = outgoing.pollFirst();
                }
                writeFully(line, pfd);
                synchronized (queueLock) {
                    eventsDone++;
                    queueLock.notifyAll();
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            log.error("{}: xenstore writer failed", name, e);
        } finally {
            synchronized (queueLock) {
                writerDead = true;
                queueLock.notifyAll();
            }
            Posix.closeQuietly(writeFd);
        }
    }

    private void writeFully(byte[] line, PollFds pfd) {
        int off = 0;
        while (off < line.length) {
            byte[] chunk = off == 0 ? line : java.util.Arrays.copyOfRange(line, off, line.length);
            try {
                off += (int) Posix.write(writeFd, chunk, chunk.length);
            } catch (LastErrorException e) {
                int errno = Posix.errno(e);
                if (errno == Posix.EINTR) {
                    continue;
                }
                if (errno != Posix.EAGAIN) {
                    throw new XenException(XenException.Kind.CONNECTION_LOST, "write to xenstore pipe failed: errno "
                            + errno);
                }
                synchronized (queueLock) {
                    if (closed || writerDead) {
                        return;
                    }
                }
                // The reader is behind: wait (bounded, so a close is noticed) for room in the pipe.
                pfd.set(0, writeFd, Posix.POLLOUT);
                pfd.poll(1, 50);
            }
        }
    }

    private void joinWriter() {
        if (Thread.currentThread() == writer) {
            return;
        }
        try {
            writer.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writer.isAlive()) {
            log.warn("{}: writer thread did not stop within 10 s", name);
        }
    }

    private void ensureUsable(String what) {
        synchronized (queueLock) {
            if (closed) {
                throw new XenException(XenException.Kind.CONNECTION_LOST, "xenstore connection " + name
                        + " is closed (" + what + ")");
            }
            if (writerDead) {
                throw new XenException(XenException.Kind.CONNECTION_LOST, "xenstore connection " + name
                        + " lost: its writer is gone (" + what + ")");
            }
        }
    }
}
