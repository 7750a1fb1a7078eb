package org.xlbridge.driver.xl;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.ShutdownResult;
import org.xlbridge.driver.scenarios.DomainScenarios;
import org.xlbridge.driver.scenarios.RunningDriver;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * The shared scenarios on {@code xl:///system}, the simulated Xen host, on the embedded loop. Where it
 * differs from libvirt's test driver, it behaves as libvirt's libxl driver does: its guests answer (or,
 * with {@code <metadata><guest shutdown='never'/>}, ignore) a shutdown request; a reboot is a shutdown and
 * a start; disks hot-plug; resuming a running domain changes nothing.
 */
class XlDriverScenariosTest extends DomainScenarios {
    private static RunningDriver driver;

    @BeforeAll
    static void startLoop() {
        driver = RunningDriver.start(new PollEventLoop(), "xl-driver-loop");
    }

    @AfterAll
    static void stopLoop() {
        if (driver != null) {
            driver.close();
        }
    }

    @Override
    protected Connect open() {
        return driver.manager().open("xl:///system");
    }

    @Override
    protected Thread loopThread() {
        return driver.loopThread();
    }

    @Override
    protected String domainType() {
        return "xen";
    }

    @Override
    protected String ignoringGuestXml(String name, UUID uuid) {
        return domainXml(name, uuid).replace("</devices>", "</devices><metadata><guest shutdown='never'/></metadata>");
    }

    @Override
    protected ShutdownResult expectedResultForIgnoringGuest() {
        return ShutdownResult.DESTROYED_AFTER_TIMEOUT;
    }

    @Override
    protected List<String> expectedRebootEvents() {
        return List.of("STOPPED/SHUTDOWN", "STARTED/BOOTED");
    }

    @Override
    protected boolean supportsDiskHotplug() {
        return true;
    }

    @Override
    protected ErrorNumber wrongStateError(String operation) {
        return operation.equals("resume") ? null : ErrorNumber.VIR_ERR_OPERATION_INVALID;
    }
}
