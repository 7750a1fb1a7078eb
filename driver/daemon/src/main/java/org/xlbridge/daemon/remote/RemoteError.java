package org.xlbridge.daemon.remote;

import org.xlbridge.daemon.xdr.XdrReader;
import org.xlbridge.daemon.xdr.XdrWriter;

/**
 * {@code remote_error} (virNetMessageError): code (libvirt's {@code virErrorNumber}), domain
 * ({@code virErrorDomain}), message, level ({@code VIR_ERR_ERROR} = 2), then fields libvirt's clients
 * ignore (dom, str1..3, int1, int2, net), sent empty.
 */
public record RemoteError(int code, int domain, String message) {
    /** {@code VIR_ERR_NO_SUPPORT}. */
    public static final int NO_SUPPORT = 3;
    /** {@code VIR_ERR_INTERNAL_ERROR}. */
    public static final int INTERNAL_ERROR = 1;
    /** {@code VIR_ERR_INVALID_ARG}. */
    public static final int INVALID_ARG = 8;
    /** {@code VIR_ERR_OPERATION_DENIED}. */
    public static final int OPERATION_DENIED = 29;
    /** {@code VIR_ERR_RPC}. */
    public static final int RPC = 39;
    /** {@code VIR_ERR_NO_CONNECT}. */
    public static final int NO_CONNECT = 5;
    /** {@code VIR_ERR_INVALID_CONN}. */
    public static final int INVALID_CONN = 19;
    /** {@code VIR_FROM_RPC}. */
    public static final int FROM_RPC = 7;
    /** {@code VIR_FROM_REMOTE}. */
    public static final int FROM_REMOTE = 13;
    /** {@code VIR_FROM_LIBXL}. */
    public static final int FROM_LIBXL = 41;
    /** {@code VIR_ERR_ERROR}. */
    public static final int LEVEL_ERROR = 2;

    public void write(XdrWriter w) {
        w.writeInt(code).writeInt(domain).writeOptionalString(message).writeInt(LEVEL_ERROR);
        w.writeBool(false); // dom
        w.writeOptionalString(null).writeOptionalString(null).writeOptionalString(null);
        w.writeInt(0).writeInt(0);
        w.writeBool(false); // net
    }

    public byte[] encode() {
        XdrWriter w = new XdrWriter();
        write(w);
        return w.toByteArray();
    }

    /** Reads one (a client-side view, for tests and logs). */
    public static RemoteError read(XdrReader r) {
        int code = r.readInt();
        int domain = r.readInt();
        String message = r.readOptionalString(RemoteProtocol.STRING_MAX);
        r.readInt();
        if (r.readBool()) {
            RemoteDomain.read(r);
        }
        r.readOptionalString(RemoteProtocol.STRING_MAX);
        r.readOptionalString(RemoteProtocol.STRING_MAX);
        r.readOptionalString(RemoteProtocol.STRING_MAX);
        r.readInt();
        r.readInt();
        if (r.readBool()) {
            r.readString(RemoteProtocol.STRING_MAX);
            r.readUuid();
        }
        return new RemoteError(code, domain, message);
    }
}
