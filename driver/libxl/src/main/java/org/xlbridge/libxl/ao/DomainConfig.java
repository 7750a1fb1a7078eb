package org.xlbridge.libxl.ao;

import java.util.List;
import java.util.UUID;
import org.xlbridge.xen.GuestScript;

/**
 * What {@link LibxlDomains#create} builds (libxl's {@code libxl_domain_config}, reduced), plus the simulated guest's
 * behaviour.
 *
 * @param name     unique among live domains; letters, digits, '-', '_', '.'
 * @param uuid     the domain's UUID
 * @param memoryKb memory in KiB, positive
 * @param vcpus    virtual CPUs, positive
 * @param disks    block devices attached before the domain is unpaused (distinct devids)
 * @param script   how the simulated guest behaves
 */
public record DomainConfig(String name, UUID uuid, long memoryKb, int vcpus, List<DiskConfig> disks,
                           GuestScript script) {
    public DomainConfig {
        disks = disks == null ? List.of() : List.copyOf(disks);
    }

    /** A config with no disks. */
    public static DomainConfig of(String name, long memoryKb, int vcpus, GuestScript script) {
        return new DomainConfig(name, UUID.randomUUID(), memoryKb, vcpus, List.of(), script);
    }

    /** This config with {@code disk} added. */
    public DomainConfig withDisk(DiskConfig disk) {
        List<DiskConfig> l = new java.util.ArrayList<>(disks);
        l.add(disk);
        return new DomainConfig(name, uuid, memoryKb, vcpus, l, script);
    }
}
