package org.xlbridge.driver;

import java.time.Duration;
import java.util.Locale;
import java.util.Properties;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * The driver's configuration, bound in Guice by {@link DriverConfigModule}.
 *
 * @param loop         which event loop to run on ({@code xlbridge.eventloop}: embedded, libvirt, auto)
 * @param protocol     how libxl gets rid of timeouts ({@code xlbridge.protocol}: asap-modify, legacy)
 * @param drainTimeout how long {@link DriverRuntime#close()} waits for the loop to free every registration
 */
public record DriverConfig(LoopKind loop, DeregistrationProtocol protocol, Duration drainTimeout) {
    /** System property naming the loop kind. */
    public static final String LOOP_PROPERTY = "xlbridge.eventloop";
    /** System property naming the deregistration protocol. */
    public static final String PROTOCOL_PROPERTY = "xlbridge.protocol";

    public DriverConfig {
        if (loop == null || protocol == null || drainTimeout == null) {
            throw new IllegalArgumentException("loop, protocol and drainTimeout must not be null");
        }
        if (drainTimeout.isNegative()) {
            throw new IllegalArgumentException("drainTimeout must not be negative: " + drainTimeout);
        }
    }

    /** Embedded loop, the fixed protocol, 5 s drain. */
    public static DriverConfig defaults() {
        return new DriverConfig(LoopKind.EMBEDDED, DeregistrationProtocol.ASAP_MODIFY, Duration.ofSeconds(5));
    }

    /** Reads {@code xlbridge.eventloop} and {@code xlbridge.protocol} from the system properties. */
    public static DriverConfig fromSystemProperties() {
        return fromProperties(System.getProperties());
    }

    /** Reads {@code xlbridge.eventloop} and {@code xlbridge.protocol}; absent ones take the defaults. */
    public static DriverConfig fromProperties(Properties props) {
        DriverConfig d = defaults();
        String loop = props.getProperty(LOOP_PROPERTY);
        String protocol = props.getProperty(PROTOCOL_PROPERTY);
        return new DriverConfig(
                loop == null ? d.loop() : LoopKind.parse(loop),
                protocol == null ? d.protocol() : parseProtocol(protocol),
                d.drainTimeout());
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

    public DriverConfig withLoop(LoopKind kind) {
        return new DriverConfig(kind, protocol, drainTimeout);
    }

    public DriverConfig withProtocol(DeregistrationProtocol p) {
        return new DriverConfig(loop, p, drainTimeout);
    }
}
