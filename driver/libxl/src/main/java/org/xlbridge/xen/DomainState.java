package org.xlbridge.xen;

/** The run state of a simulated domain, as the hypervisor reports it ({@code xc_domain_getinfo}'s flags). */
public enum DomainState {
    /** Running (or blocked: the simulation does not tell them apart). */
    RUNNING,
    /** Paused by the toolstack. */
    PAUSED,
    /** The guest was asked to shut down and has not answered yet (a toolstack-side view; Xen has no flag). */
    SHUTTING_DOWN,
    /** The guest shut itself down; {@link DomainInfo#shutdownReason()} says why. */
    SHUTDOWN,
    /** The guest crashed ({@link ShutdownReason#CRASH}). */
    CRASHED,
    /** Destroyed and waiting for the hypervisor to release it. */
    DYING
}
