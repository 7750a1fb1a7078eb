package org.xlbridge.driver.spi;

import java.net.URI;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.api.LifecycleListener;

/**
 * A driver for SPI tests, found through the test class path's {@code META-INF/services}: accepts
 * {@code rec://...}, records the order of state starts, connection opens and closes and state cleanups in
 * a process-wide journal, and can be told to fail its state start once.
 */
public final class RecordingDriver implements Driver {
    static final List<String> JOURNAL = new CopyOnWriteArrayList<>();
    static final AtomicBoolean FAIL_NEXT_START = new AtomicBoolean();

    @Override
    public String name() {
        return "recording";
    }

    @Override
    public boolean acceptsURI(URI uri) {
        return "rec".equals(uri.getScheme());
    }

    @Override
    public DriverState startState(DriverEnvironment environment) {
        if (FAIL_NEXT_START.getAndSet(false)) {
            JOURNAL.add("start-failed");
            throw new DriverException(ErrorNumber.VIR_ERR_INTERNAL_ERROR, "recording driver told to fail");
        }
        JOURNAL.add("start");
        return new DriverState() {
            @Override
            public Connect open(URI uri) {
                JOURNAL.add("open " + uri);
                return new RecordingConnect(uri.toString());
            }

            @Override
            public void close() {
                JOURNAL.add("cleanup");
            }
        };
    }

    static final class RecordingConnect implements Connect {
        private final String uri;
        private volatile boolean open = true;

        RecordingConnect(String uri) {
            this.uri = uri;
        }

        @Override
        public String getURI() {
            return uri;
        }

        @Override
        public int[] listDomains() {
            return new int[0];
        }

        @Override
        public String[] listDefinedDomains() {
            return new String[0];
        }

        private static DriverException none(String what) {
            return new DriverException(ErrorNumber.VIR_ERR_NO_DOMAIN, "no domain " + what);
        }

        @Override
        public Domain domainLookupByName(String name) {
            throw none(name);
        }

        @Override
        public Domain domainLookupByUUID(UUID uuid) {
            throw none(String.valueOf(uuid));
        }

        @Override
        public Domain domainLookupByID(int id) {
            throw none(String.valueOf(id));
        }

        @Override
        public Domain domainDefineXML(String xml) {
            throw new DriverException(ErrorNumber.VIR_ERR_NO_SUPPORT, "recording driver defines nothing");
        }

        @Override
        public void addLifecycleListener(LifecycleListener listener) {
        }

        @Override
        public void removeLifecycleListener(LifecycleListener listener) {
        }

        @Override
        public boolean isOpen() {
            return open;
        }

        @Override
        public void close() {
            if (open) {
                open = false;
                JOURNAL.add("close " + uri);
            }
        }
    }
}
