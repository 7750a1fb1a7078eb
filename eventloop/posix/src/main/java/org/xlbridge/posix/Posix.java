package org.xlbridge.posix;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * The few POSIX calls xlbridge needs, bound to the C library by JNA direct mapping (no per-call
 * reflection). Calls that fail throw {@link LastErrorException} carrying errno; {@link #errno} reads it.
 *
 * <p>This package is neutral ground: both the event loops and the libxl model use it, and it knows
 * nothing of either.
 */
public final class Posix {
    // poll(2) event bits (Linux values).
    public static final int POLLIN = 0x001;
    public static final int POLLPRI = 0x002;
    public static final int POLLOUT = 0x004;
    public static final int POLLERR = 0x008;
    public static final int POLLHUP = 0x010;
    public static final int POLLNVAL = 0x020;

    // errno values used here (Linux).
    public static final int EINTR = 4;
    public static final int EBADF = 9;
    public static final int EAGAIN = 11;

    // open/pipe2/eventfd flags (Linux).
    public static final int O_NONBLOCK = 0x800;
    public static final int O_CLOEXEC = 0x80000;

    static {
        Native.register(Posix.class, Platform.C_LIBRARY_NAME);
    }

    private Posix() {
    }

    /**
     * ppoll(2): poll(2) with a {@code struct timespec} timeout (nanosecond resolution; null blocks) and
     * an optional signal mask (null keeps the thread's).
     */
    public static native int ppoll(Pointer fds, long nfds, Pointer timeout, Pointer sigmask)
            throws LastErrorException;

    /** pipe2(2): fills {@code fds[0]} (read end) and {@code fds[1]} (write end). */
    public static native int pipe2(int[] fds, int flags) throws LastErrorException;

    /** eventfd(2). */
    public static native int eventfd(int initval, int flags) throws LastErrorException;

    public static native int close(int fd) throws LastErrorException;

    public static native long read(int fd, byte[] buf, long count) throws LastErrorException;

    public static native long write(int fd, byte[] buf, long count) throws LastErrorException;

    /** dup(2). */
    public static native int dup(int fd) throws LastErrorException;

    /** The errno carried by a failed call. */
    public static int errno(LastErrorException e) {
        return e.getErrorCode();
    }

    /** close(2) that reports failure as a boolean instead of an exception, for cleanup paths. */
    public static boolean closeQuietly(int fd) {
        try {
            return close(fd) == 0;
        } catch (LastErrorException e) {
            return false;
        }
    }

    /**
     * poll(2) on a single fd with a zero timeout: which of {@code events} are ready now (plus
     * POLLERR/POLLHUP/POLLNVAL, which poll always reports).
     */
    public static int pollNow(int fd, int events) {
        try (PollFds one = new PollFds(1)) {
            one.set(0, fd, events);
            int n = one.poll(1, 0);
            return n > 0 ? one.revents(0) : 0;
        }
    }
}
