package org.xlbridge.driver.xl;

import java.net.URI;
import org.xlbridge.driver.spi.Driver;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverState;

/**
 * The {@code xl} driver: {@code xl:///system}, a simulated Xen host driven through the Java model of libxl,
 * on the runtime's loop. See {@link XlHostConfig} for the URI's query parameters and {@link XlState} for
 * what the driver does with libxl's events.
 */
public final class XlDriver implements Driver {
    @Override
    public String name() {
        return "xl";
    }

    @Override
    public boolean acceptsURI(URI uri) {
        return "xl".equalsIgnoreCase(uri.getScheme());
    }

    @Override
    public DriverState startState(DriverEnvironment environment) {
        return new XlState(environment);
    }
}
