package org.xlbridge.daemon.rpc;

import org.xlbridge.daemon.xdr.XdrReader;
import org.xlbridge.daemon.xdr.XdrWriter;

/**
 * libvirt's {@code virNetMessageHeader} (src/rpc/virnetprotocol.x): six XDR units, 24 bytes: program,
 * version, procedure, type ({@link #CALL}, {@link #REPLY}, {@link #MESSAGE}, {@link #STREAM}...), serial,
 * status ({@link #OK}, {@link #ERROR}, {@link #CONTINUE}). Program and version are unsigned on the wire and
 * kept as their 32-bit patterns here.
 */
public record Header(int program, int version, int procedure, int type, int serial, int status) {
    public static final int CALL = 0;
    public static final int REPLY = 1;
    public static final int MESSAGE = 2;
    public static final int STREAM = 3;
    public static final int CALL_WITH_FDS = 4;
    public static final int REPLY_WITH_FDS = 5;

    public static final int OK = 0;
    public static final int ERROR = 1;
    public static final int CONTINUE = 2;

    /** Serialised size. */
    public static final int SIZE = 24;

    public static Header read(XdrReader r) {
        return new Header(r.readInt(), r.readInt(), r.readInt(), r.readInt(), r.readInt(), r.readInt());
    }

    public void write(XdrWriter w) {
        w.writeInt(program).writeInt(version).writeInt(procedure).writeInt(type).writeInt(serial).writeInt(status);
    }

    /** The header of the reply to this call: same program, version, procedure and serial. */
    public Header reply(int replyStatus) {
        return new Header(program, version, procedure, REPLY, serial, replyStatus);
    }
}
