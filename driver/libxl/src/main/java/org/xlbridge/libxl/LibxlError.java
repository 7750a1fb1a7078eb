package org.xlbridge.libxl;

/** The libxl error codes this model uses, with libxl's numbers ({@code libxl_types.idl}). */
public enum LibxlError {
    NONSPECIFIC(-1),
    FAIL(-3),
    INVAL(-6),
    TIMEDOUT(-9),
    OSEVENT_REG_FAIL(-12),
    ABORTED(-22);

    private final int code;

    LibxlError(int code) {
        this.code = code;
    }

    /** libxl's number for this error (negative). */
    public int code() {
        return code;
    }
}
