package org.xlbridge.eventloop.libvirt;

import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/** A timer: libvirt's timeout plus the expiry xlbridge enforces itself. Fields guarded by the owner's lock. */
final class TimerRegistration extends Registration {
    final TimeoutCallback callback;
    /** The frequency the caller asked for: -1, 0 or N ms. */
    int frequencyMs;
    /** The earliest moment (owner's clock) the callback may run; meaningful when frequencyMs &gt;= 0. */
    long expiryNanos;
    /** The interval libvirt's timeout currently has; differs from frequencyMs after an early fire. */
    int armedMs;

    TimerRegistration(LibvirtEventLoop owner, long key, TimeoutCallback callback, FreeCallback free) {
        super(owner, key, free);
        this.callback = callback;
    }

    @Override
    String kind() {
        return "timer";
    }
}
