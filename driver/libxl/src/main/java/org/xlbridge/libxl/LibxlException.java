package org.xlbridge.libxl;

/**
 * A libxl operation failed with a libxl error code: the Java form of a negative {@code rc}. Thrown, for example,
 * when an osevent hook refuses a registration; the operation then changed nothing.
 */
public class LibxlException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final LibxlError error;

    public LibxlException(LibxlError error, String message) {
        super(message);
        this.error = error;
    }

    public LibxlException(LibxlError error, String message, Throwable cause) {
        super(message, cause);
        this.error = error;
    }

    /** The libxl error code. */
    public LibxlError error() {
        return error;
    }
}
