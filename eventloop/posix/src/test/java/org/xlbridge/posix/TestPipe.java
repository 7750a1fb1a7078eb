package org.xlbridge.posix;

import com.sun.jna.LastErrorException;

/**
 * A real non-blocking pipe for fd and handle tests, shared through this module's test-jar by the event loops'
 * conformance suite and the libxl model's tests: write to make the read end readable, close the write end to
 * make it hang up. Each end is closed at most once; close it with try-with-resources or {@link #close()}.
 *
 * <p>Thread-safe: every method that touches an fd is synchronized, so a loop thread may drain while the test
 * thread writes.
 */
public final class TestPipe implements AutoCloseable {
    private final int readFd;
    private final int writeFd;
    /** Guarded by this. */
    private boolean readClosed;
    /** Guarded by this. */
    private boolean writeClosed;

    private TestPipe(int readFd, int writeFd) {
        this.readFd = readFd;
        this.writeFd = writeFd;
    }

    /** pipe2(O_NONBLOCK | O_CLOEXEC). */
    public static TestPipe open() {
        int[] fds = new int[2];
        Posix.pipe2(fds, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        return new TestPipe(fds[0], fds[1]);
    }

    public int readFd() {
        return readFd;
    }

    public int writeFd() {
        return writeFd;
    }

    /** Writes one byte. */
    public void writeByte() {
        write(1);
    }

    /** Writes {@code n} bytes, making the read end readable. */
    public synchronized void write(int n) {
        Posix.write(writeFd, new byte[n], n);
    }

    /** Reads everything available; returns the byte count (0 when empty, or at end of file). */
    public synchronized int drain() {
        byte[] buf = new byte[256];
        int total = 0;
        while (true) {
            try {
                long r = Posix.read(readFd, buf, buf.length);
                if (r <= 0) {
                    return total;
                }
                total += (int) r;
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Posix.EAGAIN) {
                    return total;
                }
                throw e;
            }
        }
    }

    /** Whether the read end is readable now (zero-timeout poll). */
    public boolean readable() {
        return (Posix.pollNow(readFd, Posix.POLLIN) & Posix.POLLIN) != 0;
    }

    /** Closes the write end (the read end then reports a hangup). */
    public synchronized void closeWriteEnd() {
        if (!writeClosed) {
            writeClosed = true;
            Posix.closeQuietly(writeFd);
        }
    }

    @Override
    public synchronized void close() {
        closeWriteEnd();
        if (!readClosed) {
            readClosed = true;
            Posix.closeQuietly(readFd);
        }
    }
}
