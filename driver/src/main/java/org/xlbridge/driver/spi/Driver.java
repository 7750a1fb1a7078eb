package org.xlbridge.driver.spi;

import java.net.URI;

/**
 * A hypervisor driver, found with {@link java.util.ServiceLoader} (list the implementation in
 * {@code META-INF/services/org.xlbridge.driver.spi.Driver}) and chosen by URI, as JDBC drivers are.
 *
 * <p>A driver has libvirt's two lives: its state is started once per runtime ({@link #startState}, as
 * libvirt's {@code stateInitialize}) and closed once when the runtime ends ({@code stateCleanup});
 * connections are opened from that state and closed many times in between.
 *
 * <p>Implementations need a public no-argument constructor and must accept disjoint URI schemes.
 */
public interface Driver {
    /** A short name for messages and listings, e.g. {@code xl} or {@code libvirt}. */
    String name();

    /** Whether this driver opens this URI (decided from the URI alone, without side effects). */
    boolean acceptsURI(URI uri);

    /**
     * Whether this driver's connections need the runtime's loop to be libvirt's event implementation (the
     * {@code libvirt} driver does). {@link org.xlbridge.driver.DriverRuntime#start()} then makes it so
     * before the connection opens. Default: no.
     */
    default boolean needsLibvirtEventImpl() {
        return false;
    }

    /**
     * Starts the driver's state for one runtime. Called at most once per {@link DriverManager}.
     *
     * @throws org.xlbridge.driver.api.DriverException when the driver cannot run in this environment
     */
    DriverState startState(DriverEnvironment environment);
}
