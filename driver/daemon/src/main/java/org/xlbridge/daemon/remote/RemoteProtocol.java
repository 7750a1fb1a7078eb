package org.xlbridge.daemon.remote;

/**
 * Program, version and procedure numbers of libvirt's remote protocol ({@code src/remote/remote_protocol.x})
 * and its keepalive program ({@code src/rpc/virkeepaliveprotocol.x}), for the procedures this daemon knows.
 * The numbers are libvirt's wire ABI: they never change.
 */
public final class RemoteProtocol {
    private RemoteProtocol() {
    }

    public static final int PROGRAM = 0x20008086;
    public static final int VERSION = 1;

    public static final int KEEPALIVE_PROGRAM = 0x6b656570;
    public static final int KEEPALIVE_VERSION = 1;
    public static final int KEEPALIVE_PING = 1;
    public static final int KEEPALIVE_PONG = 2;

    /**
     * The top of the procedure range treated as libvirt's (libvirt 9.0 defines fewer; the margin keeps a slightly
     * newer client's call a NO_SUPPORT rather than a protocol error). Above it, or at 0 and below, a procedure
     * is unknown and answered VIR_ERR_RPC as libvirtd does.
     */
    public static final int LAST_KNOWN_PROCEDURE = 450;

    /** {@code VIR_DRV_FEATURE_PROGRAM_KEEPALIVE}. */
    public static final int FEATURE_PROGRAM_KEEPALIVE = 10;
    /** {@code VIR_DRV_FEATURE_REMOTE_EVENT_CALLBACK}. */
    public static final int FEATURE_REMOTE_EVENT_CALLBACK = 14;
    /** {@code VIR_DRV_FEATURE_REMOTE_CLOSE_CALLBACK}. */
    public static final int FEATURE_REMOTE_CLOSE_CALLBACK = 15;

    /** {@code VIR_CONNECT_RO}, CONNECT_OPEN's read-only flag. */
    public static final int CONNECT_RO = 1;

    /** {@code VIR_DOMAIN_EVENT_ID_LIFECYCLE}. */
    public static final int EVENT_ID_LIFECYCLE = 0;

    /** String bound of remote_nonnull_string ({@code REMOTE_STRING_MAX}, libvirt 9.0). */
    public static final int STRING_MAX = 4_194_304;
    /** {@code REMOTE_DOMAIN_LIST_MAX} (libvirt 9.0). */
    public static final int DOMAIN_LIST_MAX = 16384;
    /** {@code REMOTE_AUTH_NONE}. */
    public static final int AUTH_NONE = 0;
}
