package org.xlbridge.libxl;

/** The libxl error codes this model uses, with libxl's numbers ({@code libxl_types.idl}). */
public enum LibxlError {
    NONSPECIFIC(-1),
    FAIL(-3),
    INVAL(-6),
    GUEST_TIMEDOUT(-8),
    TIMEDOUT(-9),
    OSEVENT_REG_FAIL(-12),
    DEVICE_EXISTS(-17),
    DOMAIN_NOTFOUND(-21),
    ABORTED(-22),
    NOTFOUND(-23),
    DOMAIN_DESTROYED(-24);

    private final int code;

    LibxlError(int code) {
        this.code = code;
    }

    /** libxl's number for this error (negative). */
    public int code() {
        return code;
    }

    /** The error with libxl's number {@code code}, or null (0 is success, not an error). */
    public static LibxlError fromCode(int code) {
        for (LibxlError e : values()) {
            if (e.code == code) {
                return e;
            }
        }
        return null;
    }

    /** "0" for success, else the name and number ("TIMEDOUT(-9)"), for messages. */
    public static String describe(int rc) {
        if (rc == 0) {
            return "0";
        }
        LibxlError e = fromCode(rc);
        return (e == null ? "ERROR" : e.name()) + "(" + rc + ")";
    }
}
