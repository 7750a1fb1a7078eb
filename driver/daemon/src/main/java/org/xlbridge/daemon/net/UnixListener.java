package org.xlbridge.daemon.net;

import com.sun.jna.LastErrorException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.xlbridge.posix.Posix;

/**
 * A listening AF_UNIX socket bound to a path, non-blocking. A stale socket file (nobody accepts on it)
 * is replaced; a path where a live daemon listens is refused. {@link #close()} closes the fd and removes
 * the file (as libvirtd removes its sockets on exit). Not thread-safe: made and closed by one owner.
 */
public final class UnixListener implements AutoCloseable {
    private final Path path;
    private final int fd;
    private boolean closed;

    private UnixListener(Path path, int fd) {
        this.path = path;
        this.fd = fd;
    }

    /** Binds and listens on {@code path} with file mode {@code mode} (e.g. 0600, 0666). */
    public static UnixListener bind(Path path, int mode, int backlog) throws IOException {
        String p = path.toAbsolutePath().toString();
        byte[] addr = UnixSockets.address(p);
        if (Files.exists(path)) {
            if (isLive(addr)) {
                throw new IOException("another daemon is listening on " + p);
            }
            Files.deleteIfExists(path);
        }
        int fd;
        try {
            fd = UnixSockets.socket(UnixSockets.AF_UNIX,
                    UnixSockets.SOCK_STREAM | UnixSockets.SOCK_NONBLOCK | UnixSockets.SOCK_CLOEXEC, 0);
        } catch (LastErrorException e) {
            throw new IOException("socket(AF_UNIX): errno " + e.getErrorCode(), e);
        }
        try {
            UnixSockets.bind(fd, addr, addr.length);
            UnixSockets.chmod(p, mode);
            UnixSockets.listen(fd, backlog);
        } catch (LastErrorException e) {
            Posix.closeQuietly(fd);
            throw new IOException("cannot listen on " + p + ": errno " + e.getErrorCode(), e);
        }
        return new UnixListener(path, fd);
    }

    private static boolean isLive(byte[] addr) {
        int s = UnixSockets.socket(UnixSockets.AF_UNIX, UnixSockets.SOCK_STREAM | UnixSockets.SOCK_CLOEXEC, 0);
        try {
            UnixSockets.connect(s, addr, addr.length);
            return true;
        } catch (LastErrorException e) {
            return false;
        } finally {
            Posix.closeQuietly(s);
        }
    }

    public int fd() {
        return fd;
    }

    public Path path() {
        return path;
    }

    /** Accepts one pending connection: its fd (non-blocking, close-on-exec), or -1 when none is pending. */
    public int accept() throws IOException {
        try {
            return UnixSockets.accept4(fd, null, null, UnixSockets.SOCK_NONBLOCK | UnixSockets.SOCK_CLOEXEC);
        } catch (LastErrorException e) {
            int err = e.getErrorCode();
            if (err == UnixSockets.EAGAIN || err == UnixSockets.EINTR) {
                return -1;
            }
            throw new IOException("accept on " + path + ": errno " + err, e);
        }
    }

    /** Removes the socket file; the fd itself is closed by whoever owns its loop handle. Idempotent. */
    public void unlink() {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            // the file was removed by someone else or the directory is gone: nothing to clean up
        }
    }

    /** Closes the fd and removes the file. Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Posix.closeQuietly(fd);
            unlink();
        }
    }
}
