package org.xlbridge.libxl;

/**
 * What an {@link FdEvent} calls when its fd is ready: libxl's {@code libxl__ev_fd_callback}.
 *
 * <p>Runs with the ctx lock held. The readiness was re-checked with a zero-timeout poll(2) just before the call, so
 * {@code revents} is current, not the application's possibly stale report. The event stays registered; the
 * callback may modify or deregister it, or any other event. An exception it throws is logged and counted
 * ({@link LibxlStats#callbackFailures()}).
 */
@FunctionalInterface
public interface FdEventCallback {
    /**
     * @param event   the fd event
     * @param fd      its fd
     * @param events  the poll(2) bits it watches
     * @param revents the bits poll(2) reports now (may include POLLERR, POLLHUP, POLLNVAL)
     */
    void onFd(FdEvent event, int fd, int events, int revents);
}
