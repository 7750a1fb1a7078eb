package org.xlbridge.eventloop.libvirt;

/**
 * The JUnit tag of test classes that need a JVM of their own because they choose libvirt's event
 * implementation, which libvirt takes once per process. eventloop/pom.xml runs each such class in a fresh
 * JVM (surefire execution {@code libvirt-own-process}) and leaves it out of the shared-JVM execution.
 */
public final class OwnProcess {
    /** The tag's name, as the pom spells it. */
    public static final String TAG = "libvirt-own-process";

    private OwnProcess() {
    }
}
