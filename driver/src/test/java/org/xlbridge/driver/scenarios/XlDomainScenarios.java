package org.xlbridge.driver.scenarios;

import java.util.List;
import java.util.UUID;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.ShutdownResult;

/**
 * What the shared scenarios expect of the {@code xl} driver, through whichever door it is reached (in-process
 * {@code xl:///system}, or the daemon over {@code xen+unix://}): where it differs from libvirt's test driver it
 * behaves as libvirt's libxl driver does — its guests answer (or, with {@code <metadata><guest
 * shutdown='never'/>}, ignore) a shutdown request; a reboot is a shutdown and a start; disks hot-plug; resuming
 * a running domain changes nothing. Subclasses say only how to connect.
 */
public abstract class XlDomainScenarios extends DomainScenarios {
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
