package org.xlbridge.daemon.xdr;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

/**
 * Encodes XDR (RFC 4506) into a growable buffer, the inverse of {@link XdrReader}: big-endian 4-byte
 * units, {@code char}/{@code short}/{@code bool} widened to 4 bytes, strings and opaque padded with zeros
 * to 4. Not thread-safe (one per message).
 */
public final class XdrWriter {
    private byte[] buf;
    private int len;

    public XdrWriter() {
        this(256);
    }

    public XdrWriter(int initialCapacity) {
        buf = new byte[Math.max(16, initialCapacity)];
    }

    private void ensure(int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
    }

    public XdrWriter writeInt(int v) {
        ensure(4);
        buf[len] = (byte) (v >>> 24);
        buf[len + 1] = (byte) (v >>> 16);
        buf[len + 2] = (byte) (v >>> 8);
        buf[len + 3] = (byte) v;
        len += 4;
        return this;
    }

    public XdrWriter writeUnsignedInt(long v) {
        if (v < 0 || v > 0xffffffffL) {
            throw new IllegalArgumentException("unsigned int out of range: " + v);
        }
        return writeInt((int) v);
    }

    public XdrWriter writeHyper(long v) {
        writeInt((int) (v >>> 32));
        return writeInt((int) v);
    }

    public XdrWriter writeBool(boolean b) {
        return writeInt(b ? 1 : 0);
    }

    public XdrWriter writeFixedOpaque(byte[] b) {
        int padded = XdrReader.pad(b.length);
        ensure(padded);
        System.arraycopy(b, 0, buf, len, b.length);
        Arrays.fill(buf, len + b.length, len + padded, (byte) 0);
        len += padded;
        return this;
    }

    public XdrWriter writeOpaque(byte[] b) {
        writeInt(b.length);
        return writeFixedOpaque(b);
    }

    public XdrWriter writeString(String s) {
        return writeOpaque(s.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code remote_string}: a bool, then the string when present. */
    public XdrWriter writeOptionalString(String s) {
        writeBool(s != null);
        return s == null ? this : writeString(s);
    }

    public XdrWriter writeUuid(UUID u) {
        byte[] b = new byte[16];
        long hi = u.getMostSignificantBits();
        long lo = u.getLeastSignificantBits();
        for (int i = 7; i >= 0; i--) {
            b[i] = (byte) hi;
            b[i + 8] = (byte) lo;
            hi >>>= 8;
            lo >>>= 8;
        }
        return writeFixedOpaque(b);
    }

    /** Overwrites the 4-byte unit at {@code offset} (e.g. a frame's length, known at the end). */
    public void putInt(int offset, int v) {
        if (offset < 0 || offset + 4 > len) {
            throw new IndexOutOfBoundsException(offset);
        }
        buf[offset] = (byte) (v >>> 24);
        buf[offset + 1] = (byte) (v >>> 16);
        buf[offset + 2] = (byte) (v >>> 8);
        buf[offset + 3] = (byte) v;
    }

    public int size() {
        return len;
    }

    public byte[] toByteArray() {
        return Arrays.copyOf(buf, len);
    }
}
