package org.xlbridge.libxl;

import org.xlbridge.time.TimeSource;

/**
 * A timeout inside the toolstack: libxl's {@code libxl__ev_time}. Made by {@link LibxlContext#newTimeEvent()},
 * reusable: register it, let it fire or deregister it, register it again.
 *
 * <p>While it is registered with a finite deadline and the ctx has hooks, it owns a {@link TimeoutToken} (a
 * nexus) that the application holds. Deregistering it follows the ctx's {@link DeregistrationProtocol}:
 * under {@link DeregistrationProtocol#ASAP_MODIFY} the nexus is emptied, the application is asked to fire the
 * timeout as soon as possible ({@link OsEventHooks#timeoutModify} with {@link OsEventHooks#ASAP}), and the nexus
 * is recycled only when that {@code occurredTimeout} arrives, which is then discarded.
 *
 * <p>Locking: every field is guarded by the owning ctx's lock; every method takes it (it is reentrant, so the
 * methods may be called from callbacks and from inside {@link LibxlContext#withLock}).
 */
public final class TimeEvent {
    private final LibxlContext ctx;

    /** Guarded by the ctx lock. */
    boolean registered;
    /**
     * True for a registration with negative ms: it never fires and asks the application for nothing. Guarded by the
     * ctx lock.
     */
    boolean infinite;
    /**
     * Deadline of the current or most recent registration; Long.MAX_VALUE if infinite or never registered. Guarded by
     * the ctx lock.
     */
    long deadline = Long.MAX_VALUE;
    /**
     * Registration sequence number: orders equal deadlines, and identifies the registration. Guarded by the ctx lock.
     */
    long seq;
    /** Guarded by the ctx lock; null when not registered. */
    TimeEventCallback callback;
    /**
     * The nexus held by the application for this registration, or null (no hooks, infinite, not registered). Guarded
     * by the ctx lock.
     */
    TimeoutToken nexus;

    TimeEvent(LibxlContext ctx) {
        this.ctx = ctx;
    }

    /** The ctx this event belongs to. */
    public LibxlContext context() {
        return ctx;
    }

    /**
     * Registers the event to fire {@code ms} milliseconds from now ({@code libxl__ev_time_register_rel}).
     * A negative {@code ms} means never: the event is registered but no hook is called and nothing is polled.
     *
     * @throws IllegalStateException if the event is already registered, or the ctx is closed
     * @throws LibxlException        if the application's {@code timeoutRegister} hook refused; the event is then
     *                               not registered and its nexus went back to the pool
     */
    public void registerRel(long ms, TimeEventCallback cb) {
        ctx.timeRegister(this, true, ms, cb);
    }

    /**
     * Registers the event to fire at {@code deadlineNanos} on the ctx's {@link TimeSource}
     * ({@code libxl__ev_time_register_abs}). A deadline already past fires as soon as the application (or
     * {@link LibxlContext#afterPoll}) gets to it.
     *
     * @throws IllegalStateException if the event is already registered, or the ctx is closed
     * @throws LibxlException        if the application's {@code timeoutRegister} hook refused
     */
    public void registerAbs(long deadlineNanos, TimeEventCallback cb) {
        ctx.timeRegister(this, false, deadlineNanos, cb);
    }

    /**
     * Deregisters the event ({@code libxl__ev_time_deregister}); its callback will not run. A no-op if it is not
     * registered, so it is safe to call from the event's own callback, or twice.
     */
    public void deregister() {
        ctx.timeDeregister(this);
    }

    /** Whether the event is registered (finite or infinite). */
    public boolean isRegistered() {
        return ctx.withLock(() -> registered);
    }

    /** Whether the current (or most recent) registration is the infinite kind. */
    public boolean isInfinite() {
        return ctx.withLock(() -> infinite);
    }

    /**
     * The deadline of the current registration, or of the most recent one once it fired or was deregistered,
     * in nanoseconds on the ctx's {@link TimeSource}; {@link Long#MAX_VALUE} for an infinite registration or an
     * event never registered.
     */
    public long deadline() {
        return ctx.withLock(() -> deadline);
    }

    @Override
    public String toString() {
        return ctx.withLock(() -> "TimeEvent[" + (registered ? (infinite ? "infinite" : "deadline=" + deadline
                + (nexus != null ? ", " + nexus : "")) : "unregistered") + "]");
    }
}
