package org.xlbridge.driver.libvirt;

import java.util.List;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.ShutdownResult;
import org.xlbridge.driver.scenarios.DomainScenarios;

/**
 * The shared scenarios as libvirt's {@code test} driver answers them, whichever loop and connection (local
 * {@code test:///default} or a private daemon's) carry it; subclasses only make the loop and open the
 * connection. Where the test driver differs from a hypervisor driver, each method says why.
 */
abstract class LibvirtTestDriverScenarios extends DomainScenarios {

    @Override
    protected String domainType() {
        return "test";
    }

    /** The test driver's guests have no behaviour: shutdown completes inside the call. */
    @Override
    protected ShutdownResult expectedResultForIgnoringGuest() {
        return ShutdownResult.BY_GUEST;
    }

    /** The test driver's reboot changes nothing visible and queues no event. */
    @Override
    protected List<String> expectedRebootEvents() {
        return List.of();
    }

    /** libvirt 9's test driver has no virDomainAttachDevice: the scenario checks it says VIR_ERR_NO_SUPPORT. */
    @Override
    protected boolean supportsDiskHotplug() {
        return false;
    }

    /**
     * libvirt 9's test driver checks states itself and reports {@code VIR_ERR_INTERNAL_ERROR} ("domain 'x'
     * not running", "is already running", "not paused") for all but destroy, where it uses the common
     * {@code virDomainObjCheckActive} (OPERATION_INVALID) as the libxl and qemu drivers do everywhere.
     */
    @Override
    protected ErrorNumber wrongStateError(String operation) {
        return operation.equals("destroy") ? ErrorNumber.VIR_ERR_OPERATION_INVALID : ErrorNumber.VIR_ERR_INTERNAL_ERROR;
    }
}
