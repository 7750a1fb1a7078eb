package org.xlbridge.xen;

/** A request the simulated hypervisor or xenstore refused; {@link #kind()} says why. */
public class XenException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Why a request was refused (the errno the real interface would give, roughly). */
    public enum Kind {
        /** No such domain (ESRCH). */
        NO_SUCH_DOMAIN,
        /** The domain is not in a state that allows this (EINVAL). */
        WRONG_STATE,
        /** A malformed path or argument (EINVAL). */
        INVALID,
        /** The xenstore connection is closed or its writer is gone (EPIPE). */
        CONNECTION_LOST,
        /** Every guest domid is in use (ENOMEM, as Xen's domain create answers then). */
        NO_FREE_DOMID
    }

    private final Kind kind;

    public XenException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    /** Why the request was refused. */
    public Kind kind() {
        return kind;
    }
}
