package org.xlbridge.daemon.rpc;

import org.xlbridge.daemon.xdr.XdrWriter;

/**
 * libvirt's frame: a 4-byte big-endian length that counts itself, the {@link Header}, the XDR body
 * (src/rpc/virnetmessage.c). The limits are libvirt 9.0's: a message (header and body) up to
 * {@code VIR_NET_MESSAGE_MAX} = 32 MiB, so a length field up to {@link #MAX_LENGTH} = 33,554,436; a length
 * below {@link #MIN_LENGTH} (length word and header) cannot hold a message.
 */
public final class Frames {
    /** {@code VIR_NET_MESSAGE_MAX} in libvirt 9.0 (33554432): header plus body. */
    public static final int MESSAGE_MAX = 33_554_432;
    /** The largest length field accepted: the message and the length word itself. */
    public static final int MAX_LENGTH = MESSAGE_MAX + 4;
    /** The smallest length field that holds a header. */
    public static final int MIN_LENGTH = 4 + Header.SIZE;
    /** libvirt's bound on one string ({@code VIR_NET_MESSAGE_STRING_MAX} / {@code REMOTE_STRING_MAX}). */
    public static final int STRING_MAX = 4_194_304;

    private Frames() {
    }

    /** One whole frame: length, header, then {@code body} (may be null for an empty body). */
    public static byte[] encode(Header header, byte[] body) {
        int bodyLen = body == null ? 0 : body.length;
        XdrWriter w = new XdrWriter(MIN_LENGTH + bodyLen);
        w.writeInt(0);
        header.write(w);
        if (bodyLen > 0) {
            w.writeFixedOpaque(body);
        }
        if (w.size() > MAX_LENGTH) {
            throw new IllegalArgumentException("message of " + w.size() + " bytes exceeds libvirt's limit " + MAX_LENGTH);
        }
        w.putInt(0, w.size());
        return w.toByteArray();
    }
}
