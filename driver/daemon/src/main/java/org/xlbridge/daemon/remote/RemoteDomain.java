package org.xlbridge.daemon.remote;

import java.util.UUID;
import org.xlbridge.daemon.xdr.XdrReader;
import org.xlbridge.daemon.xdr.XdrWriter;

/** {@code remote_nonnull_domain}: name, 16-byte UUID, id (-1 while inactive). */
public record RemoteDomain(String name, UUID uuid, int id) {
    public static RemoteDomain read(XdrReader r) {
        return new RemoteDomain(r.readString(RemoteProtocol.STRING_MAX), r.readUuid(), r.readInt());
    }

    public void write(XdrWriter w) {
        w.writeString(name).writeUuid(uuid).writeInt(id);
    }
}
