package org.xlbridge.libxl;

/**
 * A watch on a file descriptor inside the toolstack: libxl's {@code libxl__ev_fd}. Made by
 * {@link LibxlContext#newFdEvent()}; reusable. Events are poll(2) bits ({@code org.xlbridge.posix.Posix.POLLIN},
 * {@code POLLPRI}, {@code POLLOUT}); POLLERR and POLLHUP are always reported.
 *
 * <p>While registered with a ctx that has hooks it owns an {@link FdToken}. Deregistering calls
 * {@link OsEventHooks#fdDeregister} and recycles the token at once; that is safe for fds because a late
 * {@code occurredFd} is checked against the fd and re-checked with poll(2).
 *
 * <p>Locking: every field is guarded by the owning ctx's lock; every method takes it.
 */
public final class FdEvent {
    private final LibxlContext ctx;

    /** Guarded by the ctx lock. */
    boolean registered;
    /** The watched fd, or -1 when not registered. Guarded by the ctx lock. */
    int fd = -1;
    /** The watched poll(2) bits. Guarded by the ctx lock. */
    int events;
    /**
     * Bumped on every registration, so a poll request made for an earlier one is not applied to this one. Guarded by
     * the ctx lock.
     */
    long generation;
    /** Guarded by the ctx lock; null when not registered. */
    FdEventCallback callback;
    /** The nexus held by the application, or null (no hooks, or not registered). Guarded by the ctx lock. */
    FdToken nexus;

    FdEvent(LibxlContext ctx) {
        this.ctx = ctx;
    }

    /** The ctx this event belongs to. */
    public LibxlContext context() {
        return ctx;
    }

    /**
     * Starts watching {@code fd} for {@code events} ({@code libxl__ev_fd_register}); {@code events} may be 0.
     *
     * @throws IllegalArgumentException if {@code fd < 0}, {@code events} has bits other than POLLIN, POLLPRI and
     *                                  POLLOUT, or {@code cb} is null
     * @throws IllegalStateException    if the event is already registered, or the ctx is closed
     * @throws LibxlException           if the application's {@code fdRegister} hook refused; nothing changed
     */
    public void register(int fd, int events, FdEventCallback cb) {
        ctx.fdRegister(this, fd, events, cb);
    }

    /**
     * Changes the watched events ({@code libxl__ev_fd_modify}).
     *
     * @throws IllegalArgumentException if {@code events} has unknown bits
     * @throws IllegalStateException    if the event is not registered
     * @throws LibxlException           if the application's {@code fdModify} hook refused; the events are unchanged
     */
    public void modify(int events) {
        ctx.fdModify(this, events);
    }

    /** Stops watching ({@code libxl__ev_fd_deregister}); a no-op if not registered. */
    public void deregister() {
        ctx.fdDeregister(this);
    }

    /** Whether the event is registered. */
    public boolean isRegistered() {
        return ctx.withLock(() -> registered);
    }

    /** The watched fd, or -1 when not registered. */
    public int fd() {
        return ctx.withLock(() -> fd);
    }

    /** The watched poll(2) bits of the current registration (0 when not registered). */
    public int events() {
        return ctx.withLock(() -> registered ? events : 0);
    }

    @Override
    public String toString() {
        return ctx.withLock(() -> registered
                ? "FdEvent[fd=" + fd + ", events=0x" + Integer.toHexString(events)
                        + (nexus != null ? ", " + nexus : "") + "]"
                : "FdEvent[unregistered]");
    }
}
