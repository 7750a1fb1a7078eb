package org.xlbridge.driver.spi;

import java.util.Properties;

/**
 * Which URI {@link DriverPluginModule} opens: system property {@code xlbridge.uri}, default
 * {@code xl:///system}. (A field of its own until it joins {@code DriverConfig}.)
 */
public record ConnectionConfig(String uri) {
    /** System property naming the URI the application's connection is opened to. */
    public static final String URI_PROPERTY = "xlbridge.uri";
    /** The simulated Xen host. */
    public static final String DEFAULT_URI = "xl:///system";

    public ConnectionConfig {
        if (uri == null || uri.isBlank()) {
            throw new IllegalArgumentException(URI_PROPERTY + " must not be empty (e.g. xl:///system, test:///default)");
        }
    }

    /** Reads {@code xlbridge.uri}; absent: {@link #DEFAULT_URI}. */
    public static ConnectionConfig fromProperties(Properties props) {
        return new ConnectionConfig(props.getProperty(URI_PROPERTY, DEFAULT_URI).trim());
    }

    public static ConnectionConfig fromSystemProperties() {
        return fromProperties(System.getProperties());
    }
}
