package org.xlbridge.driver.libvirt;

import java.net.URI;
import java.util.Locale;
import java.util.Set;
import org.libvirt.Error.ErrorNumber;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.spi.Driver;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverState;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.libvirt.LibvirtEventImpl;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;

/**
 * The {@code libvirt} driver: any libvirt URI ({@code test:///default}, {@code qemu:///system},
 * {@code test+unix:///default?socket=...}, ...) through libvirt-java's {@code Connect}, with the driver
 * API and lifecycle events on the runtime's loop.
 *
 * <p>libvirt delivers events on its registered event implementation, which is process-wide and set once.
 * So the state refuses to start unless the runtime's loop IS libvirt's event implementation: any loop
 * registered with {@link LibvirtEventImpl#register} (the embedded one first), or a
 * {@link LibvirtEventLoop} (libvirt's default implementation, turned by that loop's runner). Otherwise
 * lifecycle listeners would run on some other thread than the runtime's loop, breaking SPEC I9.
 */
public final class LibvirtDriver implements Driver {
    private static final Logger log = LoggerFactory.getLogger(LibvirtDriver.class);

    /** libvirt's hypervisor URI schemes (before an optional {@code +transport}). {@code xl} is ours. */
    private static final Set<String> SCHEMES = Set.of("test", "qemu", "xen", "libxl", "lxc", "vbox", "vmwareplayer",
            "vmwarews", "vmwarefusion", "esx", "gsx", "vpx", "hyperv", "bhyve", "ch", "vz", "openvz", "uml",
            "remote");

    @Override
    public String name() {
        return "libvirt";
    }

    @Override
    public boolean acceptsURI(URI uri) {
        String scheme = uri.getScheme();
        if (scheme == null) {
            return false;
        }
        String s = scheme.toLowerCase(Locale.ROOT);
        int plus = s.indexOf('+');
        return SCHEMES.contains(plus < 0 ? s : s.substring(0, plus));
    }

    /** Yes: libvirt's events must run on the runtime's loop (SPEC I9). */
    @Override
    public boolean needsLibvirtEventImpl() {
        return true;
    }

    @Override
    public DriverState startState(DriverEnvironment environment) {
        EventLoop loop = environment.loop();
        if (!LibvirtEventLoop.isAvailable()) {
            throw new DriverException(ErrorNumber.VIR_ERR_NO_SUPPORT,
                    "the libvirt driver needs libvirt.so.0 (Debian package libvirt0), which cannot be loaded");
        }
        if (!isLibvirtsEventImplementation(loop)) {
            throw new DriverException(ErrorNumber.VIR_ERR_NO_SUPPORT, "the libvirt driver needs the runtime's loop "
                    + "to be libvirt's event implementation, so that libvirt's events run on it; this "
                    + loop.getClass().getName() + " is not: register it first with LibvirtEventImpl.register(loop)"
                    + " (once per process, before any libvirt connection), or run on libvirt's own loop"
                    + " (LibvirtEventLoop)" + LibvirtEventImpl.current().map(i -> "; the registered one is "
                    + i.loop()).orElse(""));
        }
        log.info("libvirt driver started on {}", loop);
        return new State();
    }

    /** libvirt's default loop, or the loop registered with {@code virEventRegisterImpl} by xlbridge. */
    public static boolean isLibvirtsEventImplementation(EventLoop loop) {
        if (loop instanceof LibvirtEventLoop) {
            return true;
        }
        return LibvirtEventImpl.current().map(i -> i.loop() == loop).orElse(false);
    }

    private static final class State implements DriverState {
        @Override
        public Connect open(URI uri) {
            String u = uri.toString();
            org.libvirt.Connect c = LibvirtErrors.get("virConnectOpen " + u, () -> new org.libvirt.Connect(u));
            return new LibvirtConnect(u, c);
        }

        @Override
        public void close() {
            // libvirt keeps no per-runtime state for this adapter; its event implementation stays registered.
        }
    }
}
