package org.xlbridge.driver;

import java.util.concurrent.atomic.AtomicInteger;
import org.xlbridge.libxl.FdToken;

/**
 * The application's registration object ("for_app") for one libxl fd watch: one loop handle and the token
 * libxl wants back.
 *
 * <pre>
 *   LIVE --(fdDeregister)--&gt; REMOVED --(loop free)--&gt; FREED
 * </pre>
 *
 * <p>Locking: none. {@link #state} is atomic. {@link #watchId} is written once before publication;
 * {@link #pollEvents} is written by the modify hook under the ctx lock and read by the loop's handle
 * callback, hence volatile.
 */
public final class FdRegistration {
    public static final int LIVE = 0;
    public static final int REMOVED = 1;
    public static final int FREED = 2;

    private final long serial;
    private final FdToken token;
    private final int fd;
    // Written once by the register hook before publication.
    private int watchId;
    // The poll(2) events libxl asked for; written under the ctx lock, read by the handle callback.
    private volatile int pollEvents;
    private final AtomicInteger state = new AtomicInteger(LIVE);

    FdRegistration(long serial, FdToken token, int fd, int pollEvents) {
        this.serial = serial;
        this.token = token;
        this.fd = fd;
        this.pollEvents = pollEvents;
    }

    public long serial() {
        return serial;
    }

    public FdToken token() {
        return token;
    }

    public int fd() {
        return fd;
    }

    public int watchId() {
        return watchId;
    }

    void setWatchId(int id) {
        this.watchId = id;
    }

    /** The poll(2) events currently requested by libxl. */
    public int pollEvents() {
        return pollEvents;
    }

    void setPollEvents(int events) {
        this.pollEvents = events;
    }

    public int state() {
        return state.get();
    }

    boolean transition(int from, int to) {
        return state.compareAndSet(from, to);
    }

    int markFreed() {
        return state.getAndSet(FREED);
    }

    @Override
    public String toString() {
        return "FdRegistration#" + serial + "[watch " + watchId + ", fd " + fd + ", state " + state.get()
                + ", " + token + "]";
    }
}
