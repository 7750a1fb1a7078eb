package org.xlbridge.driver.api;

import org.libvirt.DomainInfo.DomainState;

/**
 * What {@link Domain#getInfo()} reports, as libvirt's {@code virDomainInfo}: the state (libvirt-java's
 * {@link DomainState}), the maximum and current memory in KiB and the number of virtual CPUs.
 */
public record DomainInfo(DomainState state, long maxMemKiB, long memoryKiB, int nrVirtCpu) {
    public DomainInfo {
        if (state == null) {
            throw new IllegalArgumentException("state must not be null");
        }
    }
}
