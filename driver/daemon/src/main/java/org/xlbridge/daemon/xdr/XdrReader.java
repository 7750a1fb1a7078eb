package org.xlbridge.daemon.xdr;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Decodes XDR (RFC 4506) from a byte range, as libvirt's rpcgen-generated decoders read it: big-endian
 * 4-byte units; {@code char}, {@code short} and {@code bool} widened to 4 bytes; {@code hyper} 8 bytes;
 * strings and variable opaque as a length then the bytes padded to 4; an optional ({@code *T}) as a bool
 * then the value. Every length is checked against its bound and against what is left: a reader never
 * reads past its range and never allocates more than the frame holds. Not thread-safe (one per message).
 */
public final class XdrReader {
    private final byte[] buf;
    private int pos;
    private final int end;

    public XdrReader(byte[] buf, int offset, int length) {
        if (offset < 0 || length < 0 || offset + length > buf.length) {
            throw new IllegalArgumentException("range outside the buffer");
        }
        this.buf = buf;
        this.pos = offset;
        this.end = offset + length;
    }

    public XdrReader(byte[] buf) {
        this(buf, 0, buf.length);
    }

    /** Bytes not read yet. */
    public int remaining() {
        return end - pos;
    }

    private void need(int n) {
        if (n < 0 || n > end - pos) {
            throw new XdrException("XDR runs past its frame: " + n + " bytes wanted, " + (end - pos) + " left");
        }
    }

    public int readInt() {
        need(4);
        int v = ((buf[pos] & 0xff) << 24) | ((buf[pos + 1] & 0xff) << 16) | ((buf[pos + 2] & 0xff) << 8)
                | (buf[pos + 3] & 0xff);
        pos += 4;
        return v;
    }

    /** An {@code unsigned int}, in a long. */
    public long readUnsignedInt() {
        return readInt() & 0xffffffffL;
    }

    public long readHyper() {
        long hi = readInt() & 0xffffffffL;
        long lo = readInt() & 0xffffffffL;
        return (hi << 32) | lo;
    }

    public boolean readBool() {
        int v = readInt();
        if (v != 0 && v != 1) {
            throw new XdrException("XDR bool is " + v + ", not 0 or 1");
        }
        return v == 1;
    }

    /** Fixed-length opaque of {@code n} bytes (padded to 4). */
    public byte[] readFixedOpaque(int n) {
        need(pad(n));
        byte[] out = new byte[n];
        System.arraycopy(buf, pos, out, 0, n);
        pos += pad(n);
        return out;
    }

    /** Variable-length opaque of at most {@code max} bytes. */
    public byte[] readOpaque(int max) {
        int n = readLength(max, 1);
        return readFixedOpaque(n);
    }

    /** A non-null string of at most {@code max} bytes (UTF-8 on the wire, as libvirt sends C strings). */
    public String readString(int max) {
        return new String(readOpaque(max), StandardCharsets.UTF_8);
    }

    /** An optional string ({@code remote_string}): null when absent. */
    public String readOptionalString(int max) {
        return readBool() ? readString(max) : null;
    }

    /** A 16-byte UUID ({@code remote_uuid}). */
    public UUID readUuid() {
        byte[] b = readFixedOpaque(16);
        long hi = 0;
        long lo = 0;
        for (int i = 0; i < 8; i++) {
            hi = (hi << 8) | (b[i] & 0xff);
            lo = (lo << 8) | (b[i + 8] & 0xff);
        }
        return new UUID(hi, lo);
    }

    /**
     * The count of a variable-length array: not negative, at most {@code max}, and not more elements than
     * the bytes left could hold at {@code minElementBytes} each.
     */
    public int readLength(int max, int minElementBytes) {
        int n = readInt();
        if (n < 0 || n > max) {
            throw new XdrException("XDR length " + (n & 0xffffffffL) + " outside [0, " + max + "]");
        }
        if ((long) n * Math.max(1, minElementBytes) > remaining()) {
            throw new XdrException("XDR length " + n + " runs past its frame (" + remaining() + " bytes left)");
        }
        return n;
    }

    /** Fails unless every byte was read: libvirt rejects trailing bytes too. */
    public void expectEnd() {
        if (pos != end) {
            throw new XdrException((end - pos) + " bytes left over after the XDR body");
        }
    }

    static int pad(int n) {
        return (n + 3) & ~3;
    }
}
