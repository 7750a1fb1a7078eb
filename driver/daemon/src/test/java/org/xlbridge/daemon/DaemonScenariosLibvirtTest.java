package org.xlbridge.daemon;

import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.ShutdownResult;
import org.xlbridge.driver.scenarios.DomainScenarios;
import org.xlbridge.driver.scenarios.RunningDriver;
import org.xlbridge.eventloop.libvirt.LibvirtAssumptions;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * The shared scenarios through a third door: the {@code libvirt} driver (libvirt-java) over
 * {@code xen+unix:///system?socket=...} to the daemon, which serves the {@code xl} driver. The management
 * code is the one that runs in-process against {@code xl:///system} (XlDriverScenariosTest) and must see
 * the same behaviour and the same error numbers over the wire. The client runs on libvirt's own loop, the
 * daemon on the embedded one.
 */
class DaemonScenariosLibvirtTest extends DomainScenarios {
    private static RunningDaemon daemon;
    private static RunningDriver client;

    @BeforeAll
    static void startDaemonAndClient() throws Exception {
        LibvirtAssumptions.assumeLibvirt();
        daemon = RunningDaemon.start(new PollEventLoop(), "xl:///system");
        client = RunningDriver.start(new LibvirtEventLoop(), "libvirt-client-loop");
    }

    @AfterAll
    static void stopAll() {
        try {
            if (client != null) {
                client.close();
            }
        } finally {
            if (daemon != null) {
                daemon.close();
            }
        }
    }

    @Override
    protected Connect open() {
        return client.manager().open(daemon.uri());
    }

    @Override
    protected Thread loopThread() {
        return client.loopThread();
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
