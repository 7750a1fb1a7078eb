package org.xlbridge.daemon.server;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Error.ErrorNumber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.daemon.remote.Procedure;
import org.xlbridge.daemon.remote.RemoteDomain;
import org.xlbridge.daemon.remote.RemoteError;
import org.xlbridge.daemon.remote.RemoteProtocol;
import org.xlbridge.daemon.rpc.Frames;
import org.xlbridge.daemon.rpc.Header;
import org.xlbridge.daemon.xdr.XdrException;
import org.xlbridge.daemon.xdr.XdrReader;
import org.xlbridge.daemon.xdr.XdrWriter;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DomainInfo;
import org.xlbridge.driver.api.DriverException;

/**
 * Decodes each frame a client sends and answers it: keepalive PING with PONG, a call of the remote
 * program with its reply or a {@code remote_error}. Procedures marked {@link Procedure.Runs#LOOP} are
 * answered at once on the loop thread; the driver calls run on the worker pool and send their replies
 * through the client's output queue. Stateless apart from the daemon it belongs to; thread-safe.
 *
 * <p>Errors: a driver failure keeps the driver's libvirt number ({@link DriverException#getError()}); a
 * procedure of libvirt's protocol that this daemon does not serve answers {@code VIR_ERR_NO_SUPPORT}; an
 * unknown program, version or procedure number, or arguments that do not decode, answer {@code VIR_ERR_RPC}
 * and the connection stays, as libvirtd does; REPLY, MESSAGE and STREAM frames from a client are dropped.
 */
final class Dispatcher {
    private static final Logger log = LoggerFactory.getLogger(Dispatcher.class);
    private static final Pattern OS_TYPE = Pattern.compile("<os>\\s*<type[^>]*>\\s*([^<\\s]+)\\s*</type>");
    /** libvirt's version encoding of 9.0.0 (major * 1,000,000 + minor * 1,000 + micro). */
    static final long LIB_VERSION = 9_000_000L;
    /** The simulated hypervisor's version, Xen 4.17.0. */
    static final long HV_VERSION = 4_017_000L;
    /** Event ids a client may register (libvirt 9.0: VIR_DOMAIN_EVENT_ID_LAST = 27). */
    static final int EVENT_ID_LAST = 27;

    private final Daemon daemon;

    Dispatcher(Daemon daemon) {
        this.daemon = daemon;
    }

    /** A failure with libvirt's numbers, answered as a {@code remote_error}. */
    static final class CallError extends RuntimeException {
        private static final long serialVersionUID = 1L;
        final int code;
        final int domain;

        CallError(int code, int domain, String message) {
            super(message);
            this.code = code;
            this.domain = domain;
        }
    }

    // ------------------------------------------------------------------------------------------ framing

    /** Handles one frame (header and body) from {@code c}. Loop thread. */
    void dispatch(ClientConnection c, byte[] frame) {
        XdrReader r = new XdrReader(frame);
        Header h = Header.read(r);
        if (h.program() == RemoteProtocol.KEEPALIVE_PROGRAM) {
            if (h.type() == Header.MESSAGE && h.procedure() == RemoteProtocol.KEEPALIVE_PING) {
                daemon.stats.pingsReceived.incrementAndGet();
                c.sendKeepalive(RemoteProtocol.KEEPALIVE_PONG);
            }
            return; // a PONG only proves the client alive, which receiving it already recorded
        }
        if (h.type() != Header.CALL) {
            log.debug("{}: dropping a message of type {} (procedure {})", c, h.type(), h.procedure());
            return;
        }
        if (h.program() != RemoteProtocol.PROGRAM || h.version() != RemoteProtocol.VERSION) {
            daemon.stats.call("#program-" + Integer.toHexString(h.program()) + "/v" + h.version());
            reply(c, h, error(RemoteError.RPC, RemoteError.FROM_RPC, "unknown program 0x"
                    + Integer.toHexString(h.program()) + " version " + h.version()));
            return;
        }
        Procedure p = Procedure.of(h.procedure());
        daemon.stats.call(p == null ? "#" + h.procedure() : p.name());
        if (p == null || p == Procedure.DOMAIN_EVENT_LIFECYCLE || p == Procedure.DOMAIN_EVENT_CALLBACK_LIFECYCLE) {
            if (h.procedure() > 0 && h.procedure() <= RemoteProtocol.LAST_KNOWN_PROCEDURE && p == null) {
                reply(c, h, error(RemoteError.NO_SUPPORT, RemoteError.FROM_REMOTE,
                        "this function is not supported by the connection driver: procedure " + h.procedure()));
            } else {
                reply(c, h, error(RemoteError.RPC, RemoteError.FROM_RPC, "unknown procedure: " + h.procedure()));
            }
            return;
        }
        if (c.conn == null && p != Procedure.AUTH_LIST && p != Procedure.CONNECT_OPEN
                && p != Procedure.CONNECT_SUPPORTS_FEATURE && p != Procedure.CONNECT_CLOSE) {
            reply(c, h, error(RemoteError.INTERNAL_ERROR, RemoteError.FROM_REMOTE, "connection not open"));
            return;
        }
        if (p.changesState() && c.readOnly) {
            reply(c, h, error(ErrorNumber.VIR_ERR_OPERATION_DENIED.ordinal(), RemoteError.FROM_REMOTE,
                    "operation forbidden: read only access prevents " + p.api()));
            return;
        }
        int bodyOffset = Header.SIZE;
        if (p.runs() == Procedure.Runs.LOOP) {
            reply(c, h, call(c, p, frame, bodyOffset));
        } else {
            c.submit(() -> reply(c, h, call(c, p, frame, bodyOffset)));
        }
    }

    /** A reply body, or an error body when {@link #isError} says so. */
    private record Answer(byte[] body, boolean error, int code) {
    }

    private static Answer error(int code, int domain, String message) {
        return new Answer(new RemoteError(code, domain, message).encode(), true, code);
    }

    private Answer call(ClientConnection c, Procedure p, byte[] frame, int offset) {
        XdrReader args = new XdrReader(frame, offset, frame.length - offset);
        try {
            byte[] ret = invoke(c, p, args);
            return new Answer(ret, false, 0);
        } catch (CallError e) {
            return error(e.code, e.domain, e.getMessage());
        } catch (DriverException e) {
            return error(e.getError().ordinal(), RemoteError.FROM_LIBXL, stripNumber(e));
        } catch (XdrException e) {
            return error(RemoteError.RPC, RemoteError.FROM_RPC, "cannot decode the arguments of " + p + ": "
                    + e.getMessage());
        } catch (RuntimeException e) {
            log.warn("{}: {} failed", c, p, e);
            return error(RemoteError.INTERNAL_ERROR, RemoteError.FROM_LIBXL, p + " failed: " + e);
        }
    }

    private static String stripNumber(DriverException e) {
        String m = e.getMessage();
        String prefix = e.getError() + ": ";
        return m != null && m.startsWith(prefix) ? m.substring(prefix.length()) : m;
    }

    private void reply(ClientConnection c, Header h, Answer a) {
        if (a.error) {
            daemon.stats.errorsSent.incrementAndGet();
            if (a.code == RemoteError.NO_SUPPORT) {
                daemon.stats.noSupportAnswers.incrementAndGet();
            }
        }
        byte[] out = Frames.encode(h.reply(a.error ? Header.ERROR : Header.OK), a.body);
        if (!c.send(out)) {
            daemon.stats.repliesDropped.incrementAndGet();
        }
    }

    // ------------------------------------------------------------------------------------------ procedures

    private byte[] invoke(ClientConnection c, Procedure p, XdrReader a) {
        XdrWriter w = new XdrWriter();
        switch (p) {
            case AUTH_LIST -> {
                a.expectEnd();
                w.writeInt(1).writeInt(RemoteProtocol.AUTH_NONE);
            }
            case CONNECT_SUPPORTS_FEATURE -> {
                int feature = a.readInt();
                a.expectEnd();
                boolean yes = feature == RemoteProtocol.FEATURE_PROGRAM_KEEPALIVE
                        || feature == RemoteProtocol.FEATURE_REMOTE_EVENT_CALLBACK;
                if (feature == RemoteProtocol.FEATURE_PROGRAM_KEEPALIVE) {
                    c.startKeepalive();
                }
                w.writeInt(yes ? 1 : 0);
            }
            case CONNECT_OPEN -> {
                String name = a.readOptionalString(RemoteProtocol.STRING_MAX);
                long flags = a.readUnsignedInt();
                a.expectEnd();
                open(c, name, flags);
            }
            case CONNECT_CLOSE -> {
                a.expectEnd();
                Connect conn = c.conn;
                c.conn = null;
                if (conn != null) {
                    conn.close();
                }
            }
            case CONNECT_GET_TYPE -> w.writeString("Xen");
            case CONNECT_GET_VERSION -> w.writeHyper(HV_VERSION);
            case CONNECT_GET_LIB_VERSION -> w.writeHyper(LIB_VERSION);
            case CONNECT_GET_HOSTNAME -> w.writeString(hostname());
            case CONNECT_GET_URI -> w.writeString("xen:///system");
            case NODE_GET_INFO -> nodeInfo(w);
            case NODE_GET_SECURITY_MODEL -> w.writeInt(0).writeInt(0); // char model<>, char doi<>: both empty
            case CONNECT_NUM_OF_DOMAINS -> w.writeInt(conn(c).listDomains().length);
            case CONNECT_LIST_DOMAINS -> {
                int max = a.readInt();
                a.expectEnd();
                int[] ids = conn(c).listDomains();
                checkMax(max, ids.length);
                w.writeInt(ids.length);
                for (int id : ids) {
                    w.writeInt(id);
                }
            }
            case CONNECT_NUM_OF_DEFINED_DOMAINS -> w.writeInt(conn(c).listDefinedDomains().length);
            case CONNECT_LIST_DEFINED_DOMAINS -> {
                int max = a.readInt();
                a.expectEnd();
                String[] names = conn(c).listDefinedDomains();
                checkMax(max, names.length);
                w.writeInt(names.length);
                for (String n : names) {
                    w.writeString(n);
                }
            }
            case CONNECT_LIST_ALL_DOMAINS -> {
                int needResults = a.readInt();
                long flags = a.readUnsignedInt();
                a.expectEnd();
                List<Domain> all = listAll(conn(c), flags);
                if (needResults != 0) {
                    w.writeInt(all.size());
                    for (Domain d : all) {
                        remoteDomain(d).write(w);
                    }
                } else {
                    w.writeInt(0);
                }
                w.writeInt(all.size());
            }
            case DOMAIN_LOOKUP_BY_ID -> remoteDomain(conn(c).domainLookupByID(a.readInt())).write(w);
            case DOMAIN_LOOKUP_BY_NAME ->
                remoteDomain(conn(c).domainLookupByName(a.readString(RemoteProtocol.STRING_MAX))).write(w);
            case DOMAIN_LOOKUP_BY_UUID -> remoteDomain(conn(c).domainLookupByUUID(a.readUuid())).write(w);
            case DOMAIN_DEFINE_XML -> remoteDomain(conn(c).domainDefineXML(a.readString(RemoteProtocol.STRING_MAX)))
                    .write(w);
            case DOMAIN_DEFINE_XML_FLAGS -> {
                String xml = a.readString(RemoteProtocol.STRING_MAX);
                flags(a, 0);
                remoteDomain(conn(c).domainDefineXML(xml)).write(w);
            }
            case DOMAIN_UNDEFINE -> domain(c, a).undefine();
            case DOMAIN_UNDEFINE_FLAGS -> {
                Domain d = domain(c, a);
                flags(a, 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20); // managed save, snapshots, nvram...: nothing to remove
                d.undefine();
            }
            case DOMAIN_CREATE -> domain(c, a).create();
            case DOMAIN_CREATE_WITH_FLAGS -> {
                Domain d = domain(c, a);
                flags(a, 0);
                d.create();
                remoteDomain(d).write(w);
            }
            case DOMAIN_SHUTDOWN -> domain(c, a).shutdown();
            case DOMAIN_SHUTDOWN_FLAGS -> {
                Domain d = domain(c, a);
                flags(a, 0);
                d.shutdown();
            }
            case DOMAIN_REBOOT -> {
                Domain d = domain(c, a);
                flags(a, 0);
                d.reboot();
            }
            case DOMAIN_DESTROY -> domain(c, a).destroy();
            case DOMAIN_DESTROY_FLAGS -> {
                Domain d = domain(c, a);
                flags(a, 0x1 | 0x2); // GRACEFUL, REMOVE_LOGS: destroy is immediate either way
                d.destroy();
            }
            case DOMAIN_SUSPEND -> domain(c, a).suspend();
            case DOMAIN_RESUME -> domain(c, a).resume();
            case DOMAIN_ATTACH_DEVICE, DOMAIN_DETACH_DEVICE, DOMAIN_ATTACH_DEVICE_FLAGS, DOMAIN_DETACH_DEVICE_FLAGS -> {
                Domain d = domain(c, a);
                String xml = a.readString(RemoteProtocol.STRING_MAX);
                if (p == Procedure.DOMAIN_ATTACH_DEVICE_FLAGS || p == Procedure.DOMAIN_DETACH_DEVICE_FLAGS) {
                    flags(a, 0x1 | 0x2); // AFFECT_LIVE, AFFECT_CONFIG: the xl driver changes both
                } else {
                    a.expectEnd();
                }
                if (p == Procedure.DOMAIN_ATTACH_DEVICE || p == Procedure.DOMAIN_ATTACH_DEVICE_FLAGS) {
                    d.attachDevice(xml);
                } else {
                    d.detachDevice(xml);
                }
            }
            case DOMAIN_GET_INFO -> {
                DomainInfo i = domain(c, a).getInfo();
                w.writeInt(i.state().ordinal()).writeHyper(i.maxMemKiB()).writeHyper(i.memoryKiB())
                        .writeInt(i.nrVirtCpu()).writeHyper(0);
            }
            case DOMAIN_GET_STATE -> {
                Domain d = domain(c, a);
                flags(a, 0);
                DomainState s = d.getInfo().state();
                int reason = s == DomainState.VIR_DOMAIN_RUNNING || s == DomainState.VIR_DOMAIN_PAUSED ? 1 : 0;
                w.writeInt(s.ordinal()).writeInt(reason);
            }
            case DOMAIN_GET_XML_DESC -> {
                Domain d = domain(c, a);
                flags(a, 0x1 | 0x2 | 0x4 | 0x8); // SECURE, INACTIVE, UPDATE_CPU, MIGRATABLE: one description
                w.writeString(d.getXMLDesc());
            }
            case DOMAIN_IS_ACTIVE -> w.writeInt(domain(c, a).isActive() ? 1 : 0);
            case DOMAIN_IS_PERSISTENT -> {
                domain(c, a); // every domain of the xl driver is defined (persistent)
                w.writeInt(1);
            }
            case DOMAIN_GET_AUTOSTART -> {
                domain(c, a); // the simulated host starts nothing by itself
                w.writeInt(0);
            }
            case DOMAIN_HAS_MANAGED_SAVE_IMAGE -> {
                domain(c, a);
                flags(a, 0);
                w.writeInt(0); // the xl driver has no managed save
            }
            case DOMAIN_GET_OS_TYPE -> w.writeString(osType(domain(c, a).getXMLDesc()));
            case CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY -> {
                int eventId = a.readInt();
                UUID filter = a.readBool() ? RemoteDomain.read(a).uuid() : null;
                a.expectEnd();
                checkEventId(eventId);
                int cb = daemon.callbackIds.next();
                c.callbacks.put(cb, new ClientConnection.EventCallback(eventId, filter));
                if (eventId == RemoteProtocol.EVENT_ID_LIFECYCLE) {
                    c.ensureListener();
                }
                w.writeInt(cb);
            }
            case CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY -> {
                int cb = a.readInt();
                a.expectEnd();
                if (c.callbacks.remove(cb) == null) {
                    throw new CallError(ErrorNumber.VIR_ERR_INVALID_ARG.ordinal(), RemoteError.FROM_REMOTE,
                            "domain event callback " + cb + " not registered");
                }
                daemon.callbackIds.release(cb);
                c.dropListenerIfUnused();
            }
            case CONNECT_DOMAIN_EVENT_REGISTER, CONNECT_DOMAIN_EVENT_REGISTER_ANY -> {
                int eventId = p == Procedure.CONNECT_DOMAIN_EVENT_REGISTER ? RemoteProtocol.EVENT_ID_LIFECYCLE
                        : a.readInt();
                a.expectEnd();
                checkEventId(eventId);
                if (eventId == RemoteProtocol.EVENT_ID_LIFECYCLE) {
                    if (c.legacyLifecycle) {
                        throw new CallError(RemoteError.INTERNAL_ERROR, RemoteError.FROM_REMOTE,
                                "domain event 0 already registered");
                    }
                    c.legacyLifecycle = true;
                    c.ensureListener();
                }
                if (p == Procedure.CONNECT_DOMAIN_EVENT_REGISTER) {
                    w.writeInt(1); // cb_registered
                }
            }
            case CONNECT_DOMAIN_EVENT_DEREGISTER, CONNECT_DOMAIN_EVENT_DEREGISTER_ANY -> {
                int eventId = p == Procedure.CONNECT_DOMAIN_EVENT_DEREGISTER ? RemoteProtocol.EVENT_ID_LIFECYCLE
                        : a.readInt();
                a.expectEnd();
                if (eventId == RemoteProtocol.EVENT_ID_LIFECYCLE) {
                    if (!c.legacyLifecycle) {
                        throw new CallError(RemoteError.INTERNAL_ERROR, RemoteError.FROM_REMOTE,
                                "domain event 0 not registered");
                    }
                    c.legacyLifecycle = false;
                    c.dropListenerIfUnused();
                }
                if (p == Procedure.CONNECT_DOMAIN_EVENT_DEREGISTER) {
                    w.writeInt(0); // cb_registered
                }
            }
            // Known to libvirt, deliberately not served: clients fall back on NO_SUPPORT.
            case CONNECT_REGISTER_CLOSE_CALLBACK, CONNECT_UNREGISTER_CLOSE_CALLBACK, DOMAIN_GET_SECURITY_LABEL,
                    DOMAIN_SNAPSHOT_NUM -> throw noSupport(p);
            default -> throw noSupport(p);
        }
        return w.toByteArray();
    }

    private static CallError noSupport(Procedure p) {
        return new CallError(RemoteError.NO_SUPPORT, RemoteError.FROM_REMOTE,
                "this function is not supported by the connection driver: " + p);
    }

    private void open(ClientConnection c, String name, long flags) {
        if (c.conn != null) {
            throw new CallError(RemoteError.INTERNAL_ERROR, RemoteError.FROM_REMOTE, "connection already open");
        }
        String uri = name == null || name.isEmpty() ? "xen:///system" : name;
        if (!acceptsUri(uri)) {
            throw new CallError(RemoteError.NO_CONNECT, RemoteError.FROM_REMOTE, "no connection driver available"
                    + " for " + uri + " (this daemon serves xen:///system and xl:///system)");
        }
        if ((flags & RemoteProtocol.CONNECT_RO) != 0) {
            c.readOnly = true;
        }
        Connect conn = daemon.manager.open(daemon.config.hostUri());
        if (c.isClosed()) {
            conn.close();
            return;
        }
        c.conn = conn;
        daemon.stats.connectionsOpen.incrementAndGet();
        log.info("{} opened {}{} (uid {})", c, uri, c.readOnly ? " read-only" : "", c.peerUid);
    }

    static boolean acceptsUri(String uri) {
        try {
            URI u = new URI(uri);
            String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
            String path = u.getPath() == null ? "" : u.getPath();
            return (scheme.equals("xen") || scheme.equals("xl")) && (u.getHost() == null || u.getHost().isEmpty())
                    && (path.equals("/system") || path.equals("/system/") || path.isEmpty() || path.equals("/"));
        } catch (URISyntaxException e) {
            return false;
        }
    }

    private static Connect conn(ClientConnection c) {
        Connect conn = c.conn;
        if (conn == null) {
            throw new CallError(RemoteError.INTERNAL_ERROR, RemoteError.FROM_REMOTE, "connection not open");
        }
        return conn;
    }

    private static Domain domain(ClientConnection c, XdrReader a) {
        RemoteDomain d = RemoteDomain.read(a);
        return conn(c).domainLookupByUUID(d.uuid());
    }

    private static void flags(XdrReader a, long allowed) {
        long flags = a.readUnsignedInt();
        a.expectEnd();
        if ((flags & ~allowed) != 0) {
            throw new CallError(ErrorNumber.VIR_ERR_INVALID_ARG.ordinal(), RemoteError.FROM_LIBXL,
                    "unsupported flags (0x" + Long.toHexString(flags & ~allowed) + ")");
        }
    }

    private static void checkMax(int max, int have) {
        if (max < 0) {
            throw new CallError(ErrorNumber.VIR_ERR_INVALID_ARG.ordinal(), RemoteError.FROM_REMOTE,
                    "negative list size " + max);
        }
        if (have > RemoteProtocol.DOMAIN_LIST_MAX) {
            throw new CallError(RemoteError.RPC, RemoteError.FROM_RPC, "too many domains for one reply: " + have);
        }
    }

    private static void checkEventId(int eventId) {
        if (eventId < 0 || eventId >= EVENT_ID_LAST) {
            throw new CallError(ErrorNumber.VIR_ERR_INVALID_ARG.ordinal(), RemoteError.FROM_REMOTE,
                    "unsupported event ID " + eventId);
        }
    }

    /** The wire form of a domain: name, UUID, id (-1 while inactive, or when it vanished meanwhile). */
    RemoteDomain remoteDomain(Domain d) {
        int id;
        try {
            id = d.getID();
        } catch (DriverException e) {
            id = -1;
        }
        return new RemoteDomain(d.getName(), d.getUUID(), id);
    }

    /**
     * virConnectListAllDomains: the running domains by id, then the defined ones by name, filtered by the
     * flag groups libvirt defines (a group with neither or both of its bits set filters nothing).
     */
    private static List<Domain> listAll(Connect conn, long flags) {
        List<Domain> out = new ArrayList<>();
        for (int id : conn.listDomains()) {
            try {
                out.add(conn.domainLookupByID(id));
            } catch (DriverException e) {
                // it stopped meanwhile: it is either listed below or gone
            }
        }
        for (String name : conn.listDefinedDomains()) {
            try {
                Domain d = conn.domainLookupByName(name);
                if (out.stream().noneMatch(o -> o.getUUID().equals(d.getUUID()))) {
                    out.add(d);
                }
            } catch (DriverException e) {
                // undefined meanwhile
            }
        }
        Iterator<Domain> it = out.iterator();
        while (it.hasNext()) {
            Domain d = it.next();
            DomainState s;
            try {
                s = d.getInfo().state();
            } catch (DriverException e) {
                it.remove();
                continue;
            }
            boolean active = s != DomainState.VIR_DOMAIN_SHUTOFF;
            if (!group(flags, 1, 2, active)
                    || !group(flags, 4, 8, true) // every xl domain is persistent
                    || !stateGroup(flags, s)
                    || !group(flags, 256, 512, false) // no managed save
                    || !group(flags, 1024, 2048, false) // no autostart
                    || !group(flags, 4096, 8192, false) // no snapshots
                    || !group(flags, 16384, 32768, false)) { // no checkpoints
                it.remove();
            }
        }
        return out;
    }

    private static boolean group(long flags, long yesBit, long noBit, boolean has) {
        boolean yes = (flags & yesBit) != 0;
        boolean no = (flags & noBit) != 0;
        if (yes == no) {
            return true;
        }
        return yes ? has : !has;
    }

    private static boolean stateGroup(long flags, DomainState s) {
        long bits = flags & (16 | 32 | 64 | 128);
        if (bits == 0) {
            return true;
        }
        long mine = switch (s) {
            case VIR_DOMAIN_RUNNING -> 16;
            case VIR_DOMAIN_PAUSED -> 32;
            case VIR_DOMAIN_SHUTOFF -> 64;
            default -> 128;
        };
        return (bits & mine) != 0;
    }

    static String osType(String xml) {
        Matcher m = OS_TYPE.matcher(xml);
        return m.find() ? m.group(1) : "xen";
    }

    private static void nodeInfo(XdrWriter w) {
        byte[] model = "x86_64".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 32; i++) {
            w.writeInt(i < model.length ? model[i] : 0); // char model[32]: each char a 4-byte XDR unit
        }
        int cpus = Runtime.getRuntime().availableProcessors();
        w.writeHyper(16L * 1024 * 1024); // memory, KiB: the simulated host's 16 GiB
        w.writeInt(cpus).writeInt(0).writeInt(1).writeInt(1).writeInt(cpus).writeInt(1);
    }

    private static String hostname() {
        try {
            return Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        } catch (java.io.IOException e) {
            return "localhost";
        }
    }
}
