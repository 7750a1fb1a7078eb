package org.xlbridge.xen;

import java.util.UUID;

/**
 * A snapshot of one domain, as {@code xc_domain_getinfo} gives it.
 *
 * @param domid          the domain id (1 and up; 0 is the toolstack domain, which the simulation does not list)
 * @param name           the name given at creation
 * @param uuid           the UUID given at creation
 * @param memoryKb       memory in KiB
 * @param vcpus          virtual CPUs
 * @param state          the run state
 * @param shutdownReason why it shut down, when {@code state} is SHUTDOWN or CRASHED; null otherwise
 */
public record DomainInfo(int domid, String name, UUID uuid, long memoryKb, int vcpus, DomainState state,
                         ShutdownReason shutdownReason) {
}
