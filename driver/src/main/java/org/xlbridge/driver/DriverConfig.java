package org.xlbridge.driver;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * The driver's configuration, bound in Guice by {@link DriverConfigModule}. The loop kind is decided
 * here, once: {@link LoopKind#AUTO} is resolved when the configuration is made (see
 * {@link LoopKind#resolve()}), so {@link #loop()} is always {@link LoopKind#EMBEDDED} or
 * {@link LoopKind#LIBVIRT} and no module has a choice to make.
 *
 * @param loop         which event loop to run on ({@code xlbridge.eventloop}: embedded, libvirt, auto)
 * @param protocol     how libxl gets rid of timeouts ({@code xlbridge.protocol}: asap-modify, legacy)
 * @param drainTimeout how long {@link DriverRuntime#close()} waits for each teardown step (the libvirt
 *                     frees, the bridge's frees, the loop thread)
 * @param libvirtUri   a libvirt URI ({@code xlbridge.libvirt.uri}, e.g. {@code test:///default}) the
 *                     runtime connects to with libvirt-java on the driver's loop, or null for none
 * @param uri          the URI the driver plugin's connection is opened to ({@code xlbridge.uri}, default
 *                     {@code xl:///system}; any URI a {@link org.xlbridge.driver.spi.Driver} accepts), used
 *                     when {@link org.xlbridge.driver.spi.DriverPluginModule} is installed
 */
public record DriverConfig(LoopKind loop, DeregistrationProtocol protocol, Duration drainTimeout,
                           String libvirtUri, String uri) {
    /** System property naming the loop kind. */
    public static final String LOOP_PROPERTY = "xlbridge.eventloop";
    /** System property naming the deregistration protocol. */
    public static final String PROTOCOL_PROPERTY = "xlbridge.protocol";
    /** System property naming the libvirt URI to connect to on the driver's loop. */
    public static final String LIBVIRT_URI_PROPERTY = "xlbridge.libvirt.uri";
    /** System property naming the URI the driver plugin's connection is opened to. */
    public static final String URI_PROPERTY = "xlbridge.uri";
    /** The default plugin URI: the simulated Xen host. */
    public static final String DEFAULT_URI = "xl:///system";

    public DriverConfig {
        if (loop == null || protocol == null || drainTimeout == null) {
            throw new IllegalArgumentException("loop, protocol and drainTimeout must not be null");
        }
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must not be negative: " + drainTimeout);
        }
        if (libvirtUri != null && (libvirtUri.isBlank() || !libvirtUri.equals(libvirtUri.strip())
                || !libvirtUri.contains(":"))) {
            throw new IllegalArgumentException("libvirt URI '" + libvirtUri
                    + "' is not a URI: expected e.g. test:///default or qemu:///system");
        }
        if (uri == null || uri.isBlank() || !uri.equals(uri.strip())) {
            throw new IllegalArgumentException(URI_PROPERTY + " must be a URI without surrounding blanks, was '"
                    + uri + "' (e.g. " + DEFAULT_URI + ", test:///default)");
        }
        loop = loop.resolve();
    }

    /** A configuration without libvirt connection, the plugin on {@link #DEFAULT_URI}. */
    public DriverConfig(LoopKind loop, DeregistrationProtocol protocol, Duration drainTimeout) {
        this(loop, protocol, drainTimeout, null, DEFAULT_URI);
    }

    /** A configuration with the plugin on {@link #DEFAULT_URI}. */
    public DriverConfig(LoopKind loop, DeregistrationProtocol protocol, Duration drainTimeout, String libvirtUri) {
        this(loop, protocol, drainTimeout, libvirtUri, DEFAULT_URI);
    }

    /** Embedded loop, the fixed protocol, 5 s drain, no libvirt connection, the plugin on {@code xl:///system}. */
    public static DriverConfig defaults() {
        return new DriverConfig(LoopKind.EMBEDDED, DeregistrationProtocol.ASAP_MODIFY, Duration.ofSeconds(5));
    }

    /**
     * Reads {@code xlbridge.eventloop}, {@code xlbridge.protocol}, {@code xlbridge.libvirt.uri} and
     * {@code xlbridge.uri}.
     */
    public static DriverConfig fromSystemProperties() {
        return fromProperties(System.getProperties());
    }

    /**
     * Reads {@code xlbridge.eventloop}, {@code xlbridge.protocol}, {@code xlbridge.libvirt.uri} and
     * {@code xlbridge.uri}; absent ones take the defaults. A blank {@code xlbridge.uri} is an error (it names
     * the connection the application asked for); a blank {@code xlbridge.libvirt.uri} means none.
     */
    public static DriverConfig fromProperties(Properties props) {
        DriverConfig d = defaults();
        String loop = props.getProperty(LOOP_PROPERTY);
        String protocol = props.getProperty(PROTOCOL_PROPERTY);
        String libvirt = props.getProperty(LIBVIRT_URI_PROPERTY);
        String plugin = props.getProperty(URI_PROPERTY);
        return new DriverConfig(
                loop == null ? d.loop() : LoopKind.parse(loop),
                protocol == null ? d.protocol() : parseProtocol(protocol),
                d.drainTimeout(),
                libvirt == null || libvirt.isBlank() ? null : libvirt.strip(),
                plugin == null ? d.uri() : plugin.strip());
    }

    /** Parses "asap-modify" or "legacy" (any case; enum names accepted too). */
    public static DeregistrationProtocol parseProtocol(String text) {
        if (text == null) {
            throw new IllegalArgumentException("protocol must not be null (asap-modify or legacy)");
        }
        return switch (text.trim().toLowerCase(Locale.ROOT)) {
            case "asap-modify", "asap_modify" -> DeregistrationProtocol.ASAP_MODIFY;
            case "legacy", "legacy-deregister", "legacy_deregister" -> DeregistrationProtocol.LEGACY_DEREGISTER;
            default -> throw new IllegalArgumentException(
                    "unknown protocol '" + text + "': expected asap-modify or legacy");
        };
    }

    /** The libvirt URI, if one is configured. */
    public Optional<String> libvirt() {
        return Optional.ofNullable(libvirtUri);
    }

    public DriverConfig withLoop(LoopKind kind) {
        return new DriverConfig(kind, protocol, drainTimeout, libvirtUri, uri);
    }

    public DriverConfig withProtocol(DeregistrationProtocol p) {
        return new DriverConfig(loop, p, drainTimeout, libvirtUri, uri);
    }

    public DriverConfig withDrainTimeout(Duration timeout) {
        return new DriverConfig(loop, protocol, timeout, libvirtUri, uri);
    }

    /** This configuration connecting to {@code uri} (null: no libvirt connection). */
    public DriverConfig withLibvirtUri(String libvirt) {
        return new DriverConfig(loop, protocol, drainTimeout, libvirt, uri);
    }

    /** This configuration with the driver plugin's connection opened to {@code pluginUri}. */
    public DriverConfig withUri(String pluginUri) {
        return new DriverConfig(loop, protocol, drainTimeout, libvirtUri, pluginUri);
    }
}
