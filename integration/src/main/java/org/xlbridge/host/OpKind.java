package org.xlbridge.host;

/** The management operations {@code xlbridge host} clients perform. */
enum OpKind {
    CREATE, SHUTDOWN_WAIT, REBOOT, SUSPEND, RESUME, DESTROY, ATTACH_DISK, DETACH_DISK
}
