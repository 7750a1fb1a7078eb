package org.xlbridge.eventloop.conformance;

import com.sun.jna.LastErrorException;
import org.xlbridge.posix.Posix;

/**
 * A non-blocking pipe for handle tests: write a byte to make the read end readable, close the write end
 * to make it hang up. Each end is closed at most once.
 */
public final class TestPipe implements AutoCloseable {
    private final int readFd;
    private final int writeFd;
    private boolean readClosed;
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
    public synchronized void writeByte() {
        Posix.write(writeFd, new byte[] {42}, 1);
    }

    /** Reads what is there (up to 64 bytes); 0 when empty. */
    public synchronized int drain() {
        try {
            return (int) Posix.read(readFd, new byte[64], 64);
        } catch (LastErrorException e) {
            if (e.getErrorCode() == Posix.EAGAIN) {
                return 0;
            }
            throw e;
        }
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
