package org.xlbridge.driver.api;

import java.util.UUID;

/**
 * A connection to a hypervisor driver, named after libvirt-java's {@code org.libvirt.Connect}. Opened
 * through {@link org.xlbridge.driver.spi.DriverManager#open(String)}; the same management code runs
 * against the simulated {@code xl:///system} host or any libvirt URI.
 *
 * <p>Errors are {@link DriverException}s carrying libvirt's error numbers: an unknown domain is
 * {@code VIR_ERR_NO_DOMAIN}, bad domain XML {@code VIR_ERR_XML_ERROR}, a call on a closed connection
 * {@code VIR_ERR_INVALID_CONN}. Lifecycle listeners run on the event loop the connection was opened on.
 */
public interface Connect extends AutoCloseable {
    /** The URI this connection was opened with. */
    String getURI();

    /** Ids of the running (active) domains, as {@code virConnectListDomains}. */
    int[] listDomains();

    /** Names of the defined but inactive domains, as {@code virConnectListDefinedDomains}. */
    String[] listDefinedDomains();

    /** @throws DriverException {@code VIR_ERR_NO_DOMAIN} when no domain has that name */
    Domain domainLookupByName(String name);

    /** @throws DriverException {@code VIR_ERR_NO_DOMAIN} when no domain has that UUID */
    Domain domainLookupByUUID(UUID uuid);

    /** @throws DriverException {@code VIR_ERR_NO_DOMAIN} when no running domain has that id */
    Domain domainLookupByID(int id);

    /**
     * Defines (or redefines) a persistent domain from domain XML, as {@code virDomainDefineXML}.
     *
     * @throws DriverException {@code VIR_ERR_XML_ERROR} on XML that is not a valid domain definition
     */
    Domain domainDefineXML(String xml);

    /** Adds a lifecycle listener for every domain of this connection. Adding one twice is an error. */
    void addLifecycleListener(LifecycleListener listener);

    /**
     * Removes a lifecycle listener; events already queued are not delivered to it afterwards.
     *
     * @throws DriverException {@code VIR_ERR_INVALID_CONN} on a closed connection (its listeners went with it),
     *         {@code VIR_ERR_INVALID_ARG} for a listener that is not registered
     */
    void removeLifecycleListener(LifecycleListener listener);

    /** False after {@link #close()}. */
    boolean isOpen();

    /** Closes the connection: its listeners stop, its event timer goes. Idempotent. */
    @Override
    void close();
}
