package org.xlbridge.driver.api;

import java.util.UUID;

/**
 * A domain handle, named after libvirt-java's {@code org.libvirt.Domain}. A handle stays valid while the
 * domain exists; calls on an undefined domain fail with {@code VIR_ERR_NO_DOMAIN}, calls in the wrong
 * state with {@code VIR_ERR_OPERATION_INVALID}, as libvirt answers.
 */
public interface Domain {
    String getName();

    UUID getUUID();

    /** The domain id while it runs, -1 while it is inactive (libvirt's convention). */
    int getID();

    /** True while the domain runs or is paused. */
    boolean isActive();

    DomainInfo getInfo();

    /** Boots a defined, inactive domain ({@code virDomainCreate}). */
    void create();

    /**
     * Asks the guest to shut down ({@code virDomainShutdown}); returns once the request is delivered. The
     * domain stops when the guest answers: watch for the {@code STOPPED}/{@code SHUTDOWN} event, or use
     * {@link Domains#shutdownOrDestroy}.
     */
    void shutdown();

    /** Asks the guest to reboot ({@code virDomainReboot}). */
    void reboot();

    /** Stops the domain at once ({@code virDomainDestroy}); aborts what is in flight on it. */
    void destroy();

    /** Pauses the domain ({@code virDomainSuspend}). */
    void suspend();

    /** Unpauses the domain ({@code virDomainResume}). */
    void resume();

    /** Removes the persistent definition of an inactive domain ({@code virDomainUndefine}). */
    void undefine();

    /** Hot-plugs a device given as device XML, e.g. a {@code <disk>} ({@code virDomainAttachDevice}). */
    void attachDevice(String deviceXml);

    /** Hot-unplugs a device given as device XML ({@code virDomainDetachDevice}). */
    void detachDevice(String deviceXml);

    /** The domain's XML description ({@code virDomainGetXMLDesc}). */
    String getXMLDesc();
}
