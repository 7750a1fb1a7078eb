package org.xlbridge.libxl;

import org.xlbridge.time.TimeSource;

/**
 * The application's side of libxl's event machinery: the Java form of {@code libxl_osevent_hooks}.
 * A callback-supplying application (libvirt's libxl driver, or xlbridge's bridge) implements these so that
 * libxl's events are watched by the application's own event loop instead of by libxl's
 * {@code beforepoll}/{@code afterpoll}.
 *
 * <p>Rules, as in {@code libxl_event.h}:
 * <ul>
 *   <li>Every hook is called with the ctx lock held. A hook must not call back into the ctx
 *       ({@link LibxlContext#occurredTimeout}, {@link LibxlContext#occurredFd}); doing so throws
 *       {@link IllegalStateException}.</li>
 *   <li>Register and modify hooks return the application's registration object ("for_app"), which libxl
 *       hands back on later modify/deregister calls; or they throw {@link OsEventHookException} (libxl's
 *       {@code ERROR_OSEVENT_REG_FAIL}), in which case libxl leaves its registration state unchanged.</li>
 *   <li>The token ("for_libxl") passed to a register hook is what the application hands back to
 *       {@code occurred*} when the event happens. For a timeout, the application must call
 *       {@link LibxlContext#occurredTimeout} exactly once per successful {@link #timeoutRegister}, even
 *       after {@link #timeoutModify}: that call is how libxl learns it may recycle the token.</li>
 *   <li>{@link #timeoutModify} is only ever called with {@link #ASAP}: "fire as soon as possible". It can
 *       race the application's own dispatch of the same timeout; the application must then ignore it.</li>
 *   <li>Under the fixed protocol ({@link DeregistrationProtocol#ASAP_MODIFY}) {@link #timeoutDeregister}
 *       is never called.</li>
 * </ul>
 */
public interface OsEventHooks {

    /**
     * The only deadline ever given to {@link #timeoutModify}: libxl's {@code abs = {0,0}}, a time
     * always in the past on any {@link TimeSource}. Test for it with {@code ==}; do not do arithmetic with
     * it ({@code ASAP - now} overflows).
     */
    long ASAP = Long.MIN_VALUE;

    /**
     * Starts watching {@code fd} for {@code events} (poll(2) bits, {@code org.xlbridge.posix.Posix.POLL*}).
     *
     * @return the application's registration object
     */
    Object fdRegister(int fd, int events, FdToken token) throws OsEventHookException;

    /**
     * Changes the events watched on {@code fd}.
     *
     * @return the application's (possibly new) registration object
     */
    Object fdModify(int fd, Object forApp, int events) throws OsEventHookException;

    /** Stops watching {@code fd}. Cannot fail. */
    void fdDeregister(int fd, Object forApp);

    /**
     * Asks the application to call {@link LibxlContext#occurredTimeout}{@code (token)} once at or after
     * {@code deadlineNanos} on the ctx's {@link TimeSource}.
     *
     * @return the application's registration object
     */
    Object timeoutRegister(long deadlineNanos, TimeoutToken token) throws OsEventHookException;

    /**
     * Moves the timeout; {@code deadlineNanos} is always {@link #ASAP}.
     *
     * @return the application's (possibly new) registration object
     */
    Object timeoutModify(Object forApp, long deadlineNanos) throws OsEventHookException;

    /**
     * The pre-fix way to cancel a timeout. Called only under
     * {@link DeregistrationProtocol#LEGACY_DEREGISTER}, which is unsafe: the ctx recycles the token as this hook
     * is called, so an {@code occurredTimeout} for it that is already on its way reaches whatever timeout the
     * token serves next. Cannot fail.
     */
    void timeoutDeregister(Object forApp);
}
