package org.xlbridge.libxl.ao;

/** The asynchronous operations of {@link LibxlDomains}. */
public enum OpKind {
    CREATE, SHUTDOWN, REBOOT, DESTROY, PAUSE, UNPAUSE, DISK_ATTACH, DISK_DETACH
}
