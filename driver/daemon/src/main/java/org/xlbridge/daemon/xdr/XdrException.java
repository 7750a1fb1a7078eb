package org.xlbridge.daemon.xdr;

/** XDR that does not decode: it runs past its buffer, a length is negative or above its bound, a bool is not 0/1. */
public final class XdrException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public XdrException(String message) {
        super(message);
    }
}
