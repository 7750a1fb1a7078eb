package org.xlbridge.driver.libvirt;

import org.libvirt.Error;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.LibvirtException;
import org.xlbridge.driver.api.DriverException;

/** libvirt-java's checked exception as the driver API's {@link DriverException}, same error number. */
final class LibvirtErrors {
    private LibvirtErrors() {
    }

    static DriverException map(String what, LibvirtException e) {
        Error err = e.getError();
        ErrorNumber code = err == null || err.getCode() == null ? ErrorNumber.VIR_ERR_INTERNAL_ERROR : err.getCode();
        String message = err == null ? e.getMessage() : err.getMessage();
        return new DriverException(code, what + ": " + message, e);
    }

    /** A libvirt call that returns a value. */
    interface Call<T> {
        T call() throws LibvirtException;
    }

    /** A libvirt call that returns nothing. */
    interface VoidCall {
        void call() throws LibvirtException;
    }

    static <T> T get(String what, Call<T> call) {
        try {
            return call.call();
        } catch (LibvirtException e) {
            throw map(what, e);
        }
    }

    static void run(String what, VoidCall call) {
        try {
            call.call();
        } catch (LibvirtException e) {
            throw map(what, e);
        }
    }
}
