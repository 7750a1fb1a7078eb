package org.xlbridge.posix;

import com.sun.jna.LastErrorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The fd that lets other threads wake a thread blocked in poll(2): an eventfd, or a non-blocking pipe
 * where eventfd is not available. Used by the embedded event loop and by the libxl model's poll-style
 * integration.
 *
 * <p>Failures of the system calls are reported as the owner's own exception type, made by the
 * {@link Failure} given to {@link #open(Failure)}, so that this neutral class need not know it.
 *
 * <p>Locking: {@link #signal()} may be called from any thread (the owner calls it under a lock of its
 * own, so that the fd cannot be closed under a writer); {@link #drain()} and {@link #close()} belong to
 * the thread that owns the poll. Fields are final except the drain buffer, which only the draining
 * thread touches.
 */
public final class Wakeup implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Wakeup.class);
    /** An eventfd counter increment of 1 (little-endian; any non-zero value would do). */
    private static final byte[] EVENTFD_ONE = {1, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] PIPE_BYTE = {1};

    /** Makes the exception a failed system call is reported as (e.g. {@code EventLoopException::new}). */
    @FunctionalInterface
    public interface Failure {
        RuntimeException create(String message, Throwable cause);
    }

    private final int readFd;
    private final int writeFd;
    private final boolean eventfd;
    private final Failure failure;
    /** Owned by the draining thread. */
    private final byte[] drainBuffer = new byte[64];

    private Wakeup(int readFd, int writeFd, boolean eventfd, Failure failure) {
        this.readFd = readFd;
        this.writeFd = writeFd;
        this.eventfd = eventfd;
        this.failure = failure;
    }

    /**
     * An eventfd, or a pipe if eventfd(2) fails.
     *
     * @param failure makes the exception every failed system call of this wakeup is thrown as
     * @throws RuntimeException made by {@code failure} if neither can be created
     */
    public static Wakeup open(Failure failure) {
        int eventfdErrno;
        try {
            int fd = Posix.eventfd(0, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
            return new Wakeup(fd, fd, true, failure);
        } catch (LastErrorException e) {
            eventfdErrno = e.getErrorCode();
            LOG.debug("eventfd(2) failed with errno {}; using a pipe for wakeups", eventfdErrno);
        }
        try {
            return openPipe(failure);
        } catch (RuntimeException e) {
            throw failure.create("cannot create a wakeup fd: eventfd(2) failed with errno " + eventfdErrno
                    + ", " + e.getMessage(), e.getCause());
        }
    }

    /**
     * A non-blocking, close-on-exec pipe, for an owner that wants one signal to be one readable byte (the
     * libxl model's poll-style wakeup, as libxl's own pipe).
     *
     * @param failure makes the exception every failed system call of this wakeup is thrown as
     * @throws RuntimeException made by {@code failure} if pipe2(2) fails
     */
    public static Wakeup openPipe(Failure failure) {
        int[] fds = new int[2];
        try {
            Posix.pipe2(fds, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw failure.create("pipe2(2) failed with errno " + e.getErrorCode(), e);
        }
        return new Wakeup(fds[0], fds[1], false, failure);
    }

    /** The fd to poll for POLLIN. */
    public int pollFd() {
        return readFd;
    }

    /**
     * Makes {@link #pollFd()} readable. A full pipe or a saturated counter (EAGAIN) already means
     * "readable", so it is not an error.
     *
     * @throws RuntimeException made by the {@link Failure} if write(2) fails otherwise
     */
    public void signal() {
        try {
            if (eventfd) {
                Posix.write(writeFd, EVENTFD_ONE, 8);
            } else {
                Posix.write(writeFd, PIPE_BYTE, 1);
            }
        } catch (LastErrorException e) {
            if (e.getErrorCode() != Posix.EAGAIN) {
                throw failure.create("write(2) to the wakeup fd " + writeFd + " failed with errno "
                        + e.getErrorCode(), e);
            }
        }
    }

    /**
     * Consumes every pending signal, so that the next poll blocks again.
     *
     * @throws RuntimeException made by the {@link Failure} if read(2) fails other than with EAGAIN
     */
    public void drain() {
        try {
            if (eventfd) {
                Posix.read(readFd, drainBuffer, 8);
            } else {
                while (Posix.read(readFd, drainBuffer, drainBuffer.length) == drainBuffer.length) {
                    // A full buffer may mean more is waiting; read until the pipe is empty.
                }
            }
        } catch (LastErrorException e) {
            if (e.getErrorCode() != Posix.EAGAIN) {
                throw failure.create("read(2) from the wakeup fd " + readFd + " failed with errno "
                        + e.getErrorCode(), e);
            }
        }
    }

    @Override
    public void close() {
        Posix.closeQuietly(readFd);
        if (writeFd != readFd) {
            Posix.closeQuietly(writeFd);
        }
    }
}
