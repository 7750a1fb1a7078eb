package org.xlbridge.driver.api;

import java.util.Objects;
import org.libvirt.Error.ErrorNumber;

/**
 * A failed driver call, carrying libvirt's error number (libvirt-java's {@link ErrorNumber}) so that
 * management code can branch on it the same way whether the connection is the {@code xl} driver or
 * libvirt itself. Unchecked, unlike libvirt-java's {@code LibvirtException}, so that scenario code
 * stays readable; the number is the contract, not the exception type.
 */
public class DriverException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final ErrorNumber error;

    public DriverException(ErrorNumber error, String message) {
        this(error, message, null);
    }

    public DriverException(ErrorNumber error, String message, Throwable cause) {
        super(Objects.requireNonNull(error, "error") + ": " + message, cause);
        this.error = error;
    }

    /** libvirt's error number for this failure, e.g. {@link ErrorNumber#VIR_ERR_NO_DOMAIN}. */
    public ErrorNumber getError() {
        return error;
    }
}
