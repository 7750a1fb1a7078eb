package org.xlbridge.driver.libvirt;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.scenarios.RunningDriver;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;

/**
 * The shared scenarios on {@code test:///default} through the {@code libvirt} driver, on libvirt's own
 * default loop ({@link LibvirtEventLoop}), chosen by URI through the {@link DriverManager}.
 *
 * <p>Where libvirt's test driver differs from a real hypervisor, and so from {@code xl:///system}:
 * <ul>
 *   <li>its guests have no behaviour: {@code virDomainShutdown} stops the domain inside the call, so the
 *       "guest ignores the shutdown" scenario ends {@code BY_GUEST} here;</li>
 *   <li>{@code virDomainReboot} of the test driver (libvirt 9) keeps the domain running and queues no
 *       lifecycle event;</li>
 *   <li>it has no disk hot-plug ({@code VIR_ERR_NO_SUPPORT});</li>
 *   <li>its wrong-state errors are mostly {@code VIR_ERR_INTERNAL_ERROR} (see {@link LibvirtTestDriverScenarios#wrongStateError}).</li>
 * </ul>
 */
class LibvirtDriverScenariosTest extends LibvirtTestDriverScenarios {
    private static RunningDriver driver;

    @BeforeAll
    static void startLoop() {
        LibvirtAssumptions.assumeLibvirt();
        driver = RunningDriver.start(new LibvirtEventLoop(), "libvirt-driver-loop");
    }

    @AfterAll
    static void stopLoop() {
        if (driver != null) {
            driver.close();
        }
    }

    @Override
    protected Connect open() {
        return driver.manager().open("test:///default");
    }

    @Override
    protected Thread loopThread() {
        return driver.loopThread();
    }
}
