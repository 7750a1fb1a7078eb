package org.xlbridge.driver.api;

import java.util.List;
import java.util.UUID;

/**
 * A parsed domain definition: the subset of libvirt's domain XML that the drivers here use.
 *
 * @param type        the {@code <domain type=...>} attribute (e.g. {@code xen}, {@code test})
 * @param name        the domain name
 * @param uuid        the UUID (generated when the XML has none, as libvirt does)
 * @param memoryKiB   maximum memory in KiB ({@code <memory>})
 * @param currentMemoryKiB current memory in KiB ({@code <currentMemory>}, else {@code memoryKiB})
 * @param vcpus       number of virtual CPUs ({@code <vcpu>}, default 1)
 * @param onPoweroff  {@code <on_poweroff>}, default destroy
 * @param onReboot    {@code <on_reboot>}, default restart
 * @param onCrash     {@code <on_crash>}, default destroy
 * @param disks       the {@code <devices><disk>} elements
 */
public record DomainDefinition(String type, String name, UUID uuid, long memoryKiB, long currentMemoryKiB,
        int vcpus, LifecycleAction onPoweroff, LifecycleAction onReboot, LifecycleAction onCrash,
        List<DiskDefinition> disks) {
    public DomainDefinition {
        if (type == null || name == null || uuid == null || onPoweroff == null || onReboot == null
                || onCrash == null || disks == null) {
            throw new IllegalArgumentException("type, name, uuid, lifecycle actions and disks must not be null");
        }
        if (memoryKiB <= 0 || currentMemoryKiB <= 0 || currentMemoryKiB > memoryKiB || vcpus < 1) {
            throw new IllegalArgumentException("memory and vcpus must be positive, current memory <= memory");
        }
        disks = List.copyOf(disks);
    }

    /** The same definition with another disk list (attach/detach). */
    public DomainDefinition withDisks(List<DiskDefinition> newDisks) {
        return new DomainDefinition(type, name, uuid, memoryKiB, currentMemoryKiB, vcpus, onPoweroff, onReboot,
                onCrash, newDisks);
    }

    /** The definition as domain XML that {@link DomainXml#parse} reads back to an equal definition. */
    public String toXml() {
        StringBuilder sb = new StringBuilder();
        sb.append("<domain type='").append(DomainXml.escape(type)).append("'>\n");
        sb.append("  <name>").append(DomainXml.escape(name)).append("</name>\n");
        sb.append("  <uuid>").append(uuid).append("</uuid>\n");
        sb.append("  <memory unit='KiB'>").append(memoryKiB).append("</memory>\n");
        sb.append("  <currentMemory unit='KiB'>").append(currentMemoryKiB).append("</currentMemory>\n");
        sb.append("  <vcpu>").append(vcpus).append("</vcpu>\n");
        sb.append("  <on_poweroff>").append(onPoweroff.xmlName()).append("</on_poweroff>\n");
        sb.append("  <on_reboot>").append(onReboot.xmlName()).append("</on_reboot>\n");
        sb.append("  <on_crash>").append(onCrash.xmlName()).append("</on_crash>\n");
        sb.append("  <devices>\n");
        for (DiskDefinition d : disks) {
            sb.append("    ").append(d.toXml()).append('\n');
        }
        sb.append("  </devices>\n");
        sb.append("</domain>\n");
        return sb.toString();
    }
}
