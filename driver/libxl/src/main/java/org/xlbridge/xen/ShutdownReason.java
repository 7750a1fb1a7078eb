package org.xlbridge.xen;

/** Why a guest shut down: Xen's {@code SHUTDOWN_*} codes (libxl's {@code libxl_shutdown_reason}). */
public enum ShutdownReason {
    POWEROFF(0),
    REBOOT(1),
    SUSPEND(2),
    CRASH(3),
    WATCHDOG(4),
    SOFT_RESET(5);

    private final int code;

    ShutdownReason(int code) {
        this.code = code;
    }

    /** Xen's number for this reason. */
    public int code() {
        return code;
    }
}
