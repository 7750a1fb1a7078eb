package org.xlbridge.libxl;

import com.sun.jna.LastErrorException;
import org.xlbridge.posix.Posix;

/** A real non-blocking pipe for fd tests. Close it (try-with-resources). */
public final class TestPipe implements AutoCloseable {
    private int readFd;
    private int writeFd;

    private TestPipe(int readFd, int writeFd) {
        this.readFd = readFd;
        this.writeFd = writeFd;
    }

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

    /** Writes {@code n} bytes, making the read end readable. */
    public void write(int n) {
        Posix.write(writeFd, new byte[n], n);
    }

    /** Reads everything available; returns the byte count. */
    public int drain() {
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
                if (Posix.errno(e) == Posix.EAGAIN) {
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

    @Override
    public void close() {
        if (readFd >= 0) {
            Posix.closeQuietly(readFd);
            readFd = -1;
        }
        if (writeFd >= 0) {
            Posix.closeQuietly(writeFd);
            writeFd = -1;
        }
    }
}
