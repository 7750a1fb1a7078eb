package org.xlbridge.eventloop.poll;

import com.sun.jna.LastErrorException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.EventLoopException;
import org.xlbridge.posix.Posix;

/**
 * The fd that lets other threads wake a loop blocked in poll(2): an eventfd, or a non-blocking pipe
 * where eventfd is not available.
 *
 * <p>Locking: {@link #signal()} may be called from any thread (the loop core calls it with its loop lock
 * held, so that the fd cannot be closed under a writer); {@link #drain()} and {@link #close()} belong to
 * the thread that owns the loop. Fields are final except the drain buffer, which only the draining
 * thread touches.
 */
final class Wakeup implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Wakeup.class);
    /** An eventfd counter increment of 1 (little-endian; any non-zero value would do). */
    private static final byte[] EVENTFD_ONE = {1, 0, 0, 0, 0, 0, 0, 0};
    private static final byte[] PIPE_BYTE = {1};

    private final int readFd;
    private final int writeFd;
    private final boolean eventfd;
    /** Owned by the draining thread. */
    private final byte[] drainBuffer = new byte[64];

    private Wakeup(int readFd, int writeFd, boolean eventfd) {
        this.readFd = readFd;
        this.writeFd = writeFd;
        this.eventfd = eventfd;
    }

    /** An eventfd, or a pipe if eventfd(2) fails. */
    static Wakeup open() {
        int eventfdErrno;
        try {
            int fd = Posix.eventfd(0, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
            return new Wakeup(fd, fd, true);
        } catch (LastErrorException e) {
            eventfdErrno = e.getErrorCode();
            LOG.debug("eventfd(2) failed with errno {}; using a pipe for wakeups", eventfdErrno);
        }
        try {
            return openPipe();
        } catch (EventLoopException e) {
            throw new EventLoopException("cannot create a wakeup fd: eventfd(2) failed with errno "
                    + eventfdErrno + ", " + e.getMessage(), e);
        }
    }

    /** A non-blocking, close-on-exec pipe. */
    static Wakeup openPipe() {
        int[] fds = new int[2];
        try {
            Posix.pipe2(fds, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new EventLoopException("pipe2(2) failed with errno " + e.getErrorCode(), e);
        }
        return new Wakeup(fds[0], fds[1], false);
    }

    /** The fd to poll for POLLIN. */
    int pollFd() {
        return readFd;
    }

    /**
     * Makes {@link #pollFd()} readable. A full pipe or a saturated counter (EAGAIN) already means
     * "readable", so it is not an error.
     *
     * @throws EventLoopException if write(2) fails otherwise
     */
    void signal() {
        try {
            if (eventfd) {
                Posix.write(writeFd, EVENTFD_ONE, 8);
            } else {
                Posix.write(writeFd, PIPE_BYTE, 1);
            }
        } catch (LastErrorException e) {
            if (e.getErrorCode() != Posix.EAGAIN) {
                throw new EventLoopException("write(2) to the wakeup fd " + writeFd + " failed with errno "
                        + e.getErrorCode(), e);
            }
        }
    }

    /** Consumes every pending signal, so that the next poll blocks again. */
    void drain() {
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
                throw new EventLoopException("read(2) from the wakeup fd " + readFd + " failed with errno "
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
