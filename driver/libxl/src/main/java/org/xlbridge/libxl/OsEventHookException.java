package org.xlbridge.libxl;

/** A hook's refusal: carries the libxl error code the hook reports (normally {@link LibxlError#OSEVENT_REG_FAIL}). */
public class OsEventHookException extends Exception {
    private final LibxlError error;

    public OsEventHookException(LibxlError error, String message) {
        super(message);
        this.error = error;
    }

    public OsEventHookException(LibxlError error, String message, Throwable cause) {
        super(message, cause);
        this.error = error;
    }

    public LibxlError error() {
        return error;
    }
}
