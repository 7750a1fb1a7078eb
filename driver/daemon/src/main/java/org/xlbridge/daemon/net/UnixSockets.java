package org.xlbridge.daemon.net;

import com.sun.jna.LastErrorException;
import com.sun.jna.Native;
import com.sun.jna.Platform;
import java.nio.charset.StandardCharsets;

/**
 * The socket calls the daemon needs (Linux, AF_UNIX stream sockets), bound to the C library by JNA direct
 * mapping. Sockets are non-blocking and close-on-exec; {@code send} passes {@code MSG_NOSIGNAL} so a
 * client that went away is an {@code EPIPE}, not a SIGPIPE. Failures throw {@link LastErrorException}
 * carrying errno. Stateless; safe from any thread.
 */
public final class UnixSockets {
    public static final int AF_UNIX = 1;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_PEERCRED = 17;
    public static final int MSG_NOSIGNAL = 0x4000;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int EAGAIN = 11;
    public static final int EINTR = 4;
    public static final int ECONNREFUSED = 111;
    public static final int ENOENT = 2;
    /** {@code sizeof(sun_path)} on Linux. */
    public static final int SUN_PATH_MAX = 108;

    static {
        Native.register(UnixSockets.class, Platform.C_LIBRARY_NAME);
    }

    private UnixSockets() {
    }

    public static native int socket(int domain, int type, int protocol) throws LastErrorException;

    public static native int bind(int fd, byte[] addr, int addrlen) throws LastErrorException;

    public static native int connect(int fd, byte[] addr, int addrlen) throws LastErrorException;

    public static native int listen(int fd, int backlog) throws LastErrorException;

    public static native int accept4(int fd, byte[] addr, int[] addrlen, int flags) throws LastErrorException;

    public static native long recv(int fd, byte[] buf, long len, int flags) throws LastErrorException;

    public static native long send(int fd, byte[] buf, long len, int flags) throws LastErrorException;

    public static native int getsockopt(int fd, int level, int name, int[] value, int[] len) throws LastErrorException;

    public static native int unlink(String path) throws LastErrorException;

    public static native int chmod(String path, int mode) throws LastErrorException;

    public static native int shutdown(int fd, int how) throws LastErrorException;

    /** {@code struct sockaddr_un} for {@code path}: family, then the NUL-terminated path. */
    public static byte[] address(String path) {
        byte[] p = path.getBytes(StandardCharsets.UTF_8);
        if (p.length >= SUN_PATH_MAX) {
            throw new IllegalArgumentException("socket path longer than " + (SUN_PATH_MAX - 1) + " bytes: " + path);
        }
        byte[] a = new byte[2 + SUN_PATH_MAX];
        a[0] = (byte) AF_UNIX; // sa_family_t, little-endian on Linux's x86/arm
        a[1] = 0;
        System.arraycopy(p, 0, a, 2, p.length);
        return a;
    }

    /** errno of a failed call. */
    public static int errno(LastErrorException e) {
        return e.getErrorCode();
    }

    /** The peer's {@code struct ucred} {pid, uid, gid} (SO_PEERCRED), or null when it cannot be read. */
    public static int[] peerCredentials(int fd) {
        int[] cred = new int[3];
        int[] len = {12};
        try {
            getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, len);
            return cred;
        } catch (LastErrorException e) {
            return null;
        }
    }
}
