package org.xlbridge.driver.spi;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.locks.ReentrantLock;
import org.libvirt.Error.ErrorNumber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.DriverException;

/**
 * The entry point: opens a URI with the driver that accepts it, like JDBC's {@code DriverManager} and
 * libvirt's {@code virConnectOpen}. One manager is one runtime: it starts each driver's state the first
 * time a URI of that driver is opened (once), and {@link #close()} ends the runtime in libvirt's order:
 * first every connection still open, then each started driver state, newest first.
 *
 * <p>The manager does not run the event loop; the application runs it (listeners run on its thread) and
 * keeps it running until the manager is closed, since closing connections gives the loop frees to run.
 *
 * <p>Locking: {@link #lock} guards {@link #states}, {@link #connections} and {@link #closed}. It is held
 * while a state starts and while a connection opens, so a state starts once even under concurrent opens.
 */
public final class DriverManager implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DriverManager.class);

    private final DriverEnvironment environment;
    private final List<Driver> drivers;
    private final ReentrantLock lock = new ReentrantLock();
    /** Guarded by lock. Started states in start order. */
    private final LinkedHashMap<Driver, DriverState> states = new LinkedHashMap<>();
    /** Guarded by lock. Connections opened and not yet seen closed. */
    private final List<Connect> connections = new ArrayList<>();
    /** Guarded by lock. */
    private boolean closed;

    /** Finds the drivers with {@link ServiceLoader} on this class's class loader. */
    public DriverManager(DriverEnvironment environment) {
        this(environment, loadDrivers(DriverManager.class.getClassLoader()));
    }

    /** Uses exactly these drivers, in this order of preference. */
    public DriverManager(DriverEnvironment environment, List<Driver> drivers) {
        if (environment == null || drivers == null) {
            throw new IllegalArgumentException("environment and drivers must not be null");
        }
        this.environment = environment;
        this.drivers = List.copyOf(drivers);
    }

    /** The drivers {@link ServiceLoader} finds with this class loader. */
    public static List<Driver> loadDrivers(ClassLoader loader) {
        List<Driver> found = new ArrayList<>();
        Iterator<Driver> it = ServiceLoader.load(Driver.class, loader).iterator();
        while (it.hasNext()) {
            found.add(it.next());
        }
        return found;
    }

    /** Names of the drivers this manager chooses from. */
    public List<String> driverNames() {
        return drivers.stream().map(Driver::name).toList();
    }

    public DriverEnvironment environment() {
        return environment;
    }

    /**
     * The driver that {@link #open} would use for this URI, found without starting or opening anything.
     *
     * @throws DriverException as {@link #open} does for a URI that does not parse or that no driver accepts
     */
    public Driver driverFor(String uri) {
        return choose(uri).driver();
    }

    private record Choice(Driver driver, URI uri) { }

    private Choice choose(String uri) {
        if (uri == null || uri.isBlank()) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, "URI must not be empty");
        }
        URI parsed;
        try {
            parsed = new URI(uri.trim());
        } catch (URISyntaxException e) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, "cannot parse URI '" + uri + "': "
                    + e.getMessage(), e);
        }
        if (parsed.getScheme() == null) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG,
                    "URI '" + uri + "' has no scheme (e.g. xl:///system, test:///default)");
        }
        for (Driver d : drivers) {
            if (d.acceptsURI(parsed)) {
                return new Choice(d, parsed);
            }
        }
        throw new DriverException(ErrorNumber.VIR_ERR_NO_CONNECT, "no connection driver available for '"
                + uri + "' (drivers found: " + (drivers.isEmpty() ? "none" : String.join(", ", driverNames()))
                + ")");
    }

    /**
     * Opens a connection.
     *
     * @throws DriverException {@code VIR_ERR_INVALID_ARG} for a URI that does not parse;
     *         {@code VIR_ERR_NO_CONNECT} when no driver accepts it (the message lists the drivers found);
     *         {@code VIR_ERR_INVALID_CONN} after {@link #close()}; what the driver throws otherwise
     */
    public Connect open(String uri) {
        Choice choice = choose(uri);
        Driver driver = choice.driver();
        URI parsed = choice.uri();
        lock.lock();
        try {
            if (closed) {
                throw new DriverException(ErrorNumber.VIR_ERR_INVALID_CONN, "driver manager is closed");
            }
            DriverState state = states.get(driver);
            if (state == null) {
                state = driver.startState(environment);
                states.put(driver, state);
                log.info("driver '{}' started", driver.name());
            }
            Connect c = state.open(parsed);
            connections.removeIf(x -> !x.isOpen());
            connections.add(c);
            return c;
        } finally {
            lock.unlock();
        }
    }

    /** Names of the drivers whose state is started. */
    public List<String> startedDrivers() {
        lock.lock();
        try {
            return states.keySet().stream().map(Driver::name).toList();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Ends the runtime: closes every connection still open, then every started state, newest first. Each
     * failure is logged and the rest still close. Idempotent.
     */
    @Override
    public void close() {
        List<Connect> toClose;
        List<Map.Entry<Driver, DriverState>> toStop;
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            toClose = new ArrayList<>(connections);
            connections.clear();
            toStop = new ArrayList<>(states.entrySet());
            states.clear();
        } finally {
            lock.unlock();
        }
        for (Connect c : toClose) {
            try {
                c.close();
            } catch (RuntimeException e) {
                log.warn("closing connection {} failed", c.getURI(), e);
            }
        }
        for (int i = toStop.size() - 1; i >= 0; i--) {
            Map.Entry<Driver, DriverState> s = toStop.get(i);
            try {
                s.getValue().close();
                log.info("driver '{}' stopped", s.getKey().name());
            } catch (RuntimeException e) {
                log.warn("stopping driver '{}' failed", s.getKey().name(), e);
            }
        }
    }
}
