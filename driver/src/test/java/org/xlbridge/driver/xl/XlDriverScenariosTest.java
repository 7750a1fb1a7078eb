package org.xlbridge.driver.xl;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.scenarios.XlDomainScenarios;
import org.xlbridge.driver.scenarios.RunningDriver;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * The shared scenarios on {@code xl:///system}, the simulated Xen host, on the embedded loop. Where it
 * differs from libvirt's test driver, it behaves as libvirt's libxl driver does: its guests answer (or,
 * with {@code <metadata><guest shutdown='never'/>}, ignore) a shutdown request; a reboot is a shutdown and
 * a start; disks hot-plug; resuming a running domain changes nothing.
 */
class XlDriverScenariosTest extends XlDomainScenarios {
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
}
