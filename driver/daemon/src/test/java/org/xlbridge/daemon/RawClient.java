package org.xlbridge.daemon;

import com.sun.jna.LastErrorException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.function.IntConsumer;
import org.xlbridge.daemon.net.UnixSockets;
import org.xlbridge.daemon.remote.RemoteError;
import org.xlbridge.daemon.remote.RemoteProtocol;
import org.xlbridge.daemon.rpc.FrameDecoder;
import org.xlbridge.daemon.rpc.Frames;
import org.xlbridge.daemon.rpc.Header;
import org.xlbridge.daemon.xdr.XdrReader;
import org.xlbridge.daemon.xdr.XdrWriter;
import org.xlbridge.posix.Posix;

/**
 * A minimal client of the protocol for tests that must misbehave: blocking AF_UNIX socket, raw frames,
 * replies read in order. Not thread-safe except {@link #close()}.
 */
final class RawClient implements AutoCloseable {
    private final int fd;
    private final FrameDecoder decoder = new FrameDecoder();
    private final ArrayDeque<byte[]> received = new ArrayDeque<>();
    private int serial;
    private volatile boolean closed;

    RawClient(Path socket) {
        fd = UnixSockets.socket(UnixSockets.AF_UNIX, UnixSockets.SOCK_STREAM | UnixSockets.SOCK_CLOEXEC, 0);
        byte[] addr = UnixSockets.address(socket.toString());
        UnixSockets.connect(fd, addr, addr.length);
    }

    /** A frame received: its header and its body. */
    record Message(Header header, byte[] body) {
        XdrReader reader() {
            return new XdrReader(body);
        }

        RemoteError error() {
            return RemoteError.read(reader());
        }
    }

    void sendRaw(byte[] bytes) {
        int off = 0;
        while (off < bytes.length) {
            byte[] chunk = off == 0 ? bytes : java.util.Arrays.copyOfRange(bytes, off, bytes.length);
            off += (int) UnixSockets.send(fd, chunk, chunk.length, UnixSockets.MSG_NOSIGNAL);
        }
    }

    /** Sends a call; returns its serial. */
    int send(int procedure, byte[] body) {
        int s = serial++;
        sendRaw(Frames.encode(new Header(RemoteProtocol.PROGRAM, RemoteProtocol.VERSION, procedure, Header.CALL, s,
                Header.OK), body));
        return s;
    }

    void sendKeepalive(int procedure) {
        sendRaw(Frames.encode(new Header(RemoteProtocol.KEEPALIVE_PROGRAM, RemoteProtocol.KEEPALIVE_VERSION, procedure,
                Header.MESSAGE, 0, Header.OK), null));
    }

    /** The next frame, or null at end of stream (the daemon closed the connection). */
    Message next() {
        while (received.isEmpty()) {
            byte[] buf = new byte[65536];
            long n;
            try {
                n = UnixSockets.recv(fd, buf, buf.length, 0);
            } catch (LastErrorException e) {
                return null; // reset: closed
            }
            if (n <= 0) {
                return null;
            }
            try {
                decoder.feed(buf, 0, (int) n, received::add);
            } catch (FrameDecoder.FrameException e) {
                throw new AssertionError(e);
            }
        }
        byte[] f = received.poll();
        return new Message(Header.read(new XdrReader(f, 0, Header.SIZE)),
                java.util.Arrays.copyOfRange(f, Header.SIZE, f.length));
    }

    /** The next reply, skipping event messages (handed to {@code events}: their procedure). */
    Message reply(IntConsumer events) {
        while (true) {
            Message m = next();
            if (m == null || m.header().type() == Header.REPLY) {
                return m;
            }
            events.accept(m.header().procedure());
        }
    }

    /** A call and its reply (events received meanwhile are dropped). */
    Message call(int procedure, byte[] body) {
        int s = send(procedure, body);
        Message m = reply(p -> { });
        if (m == null) {
            throw new AssertionError("connection closed before the reply to procedure " + procedure);
        }
        if (m.header().serial() != s) {
            throw new AssertionError("reply serial " + m.header().serial() + ", expected " + s);
        }
        return m;
    }

    /** AUTH_LIST, CONNECT_OPEN of xen:///system (flags as given). */
    RawClient open(int flags) {
        call(66, null);
        Message m = call(1, new XdrWriter().writeOptionalString("xen:///system").writeInt(flags).toByteArray());
        if (m.header().status() != Header.OK) {
            throw new AssertionError("open failed: " + m.error());
        }
        return this;
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            Posix.closeQuietly(fd);
        }
    }
}
