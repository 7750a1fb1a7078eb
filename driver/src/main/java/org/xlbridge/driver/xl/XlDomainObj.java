package org.xlbridge.driver.xl;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantLock;
import org.libvirt.DomainInfo.DomainState;
import org.xlbridge.driver.api.DiskDefinition;
import org.xlbridge.driver.api.DomainDefinition;
import org.xlbridge.libxl.ao.DomainDeathWatch;
import org.xlbridge.xen.GuestScript;

/**
 * The driver's record of one domain (libvirt's {@code virDomainObj}). Name and UUID never change.
 *
 * <p>Locking: {@link #job} is libvirt's per-domain job: every operation and every event handler that reads
 * or changes the mutable fields below holds it for its whole length, so one domain's changes (and the
 * lifecycle events they queue) happen one at a time and in order. Queries do not take it: they read
 * {@link #view}, republished at the end of every job, so that a query never waits for a job that waits
 * for the event loop. Lock order: a domain's job, then the
 * state's list lock, then the libxl ctx lock. Never taken with the ctx lock held (libxl callbacks hand
 * their work to the state's event worker instead).
 */
final class XlDomainObj {
    final String name;
    final UUID uuid;
    final ReentrantLock job = new ReentrantLock();

    /**
     * Guarded by job. The persistent definition (libvirt's {@code newDef} while running): what the next start
     * uses. A redefinition of a running domain changes only this.
     */
    DomainDefinition def;
    /** Guarded by job. The guest's behaviour for its next start. */
    GuestScript script;
    /**
     * Guarded by job. The definition the running domain was started with (libvirt's live {@code def}), null
     * while inactive: its {@code on_*} actions, memory and vcpus are what the running domain has.
     */
    DomainDefinition liveDef;
    /** Guarded by job. The guest behaviour the running domain was started with, null while inactive. */
    GuestScript liveScript;
    /** Guarded by job. */
    boolean persistent = true;
    /** Guarded by job. The hypervisor's domid while active, else -1. */
    int domid = -1;
    /** Guarded by job. libvirt's view of the state. */
    DomainState state = DomainState.VIR_DOMAIN_SHUTOFF;
    /** Guarded by job. The disks of the running domain (the definition's plus hot-plugged ones). */
    List<DiskDefinition> liveDisks = new ArrayList<>();
    /** Guarded by job. The death watch while active. */
    DomainDeathWatch deathWatch;
    /**
     * Guarded by job. Reboot operations of this life in progress (not yet handled by the driver): while there
     * is one, the guest's reboot is its answer, not news. A count, not a flag: a second reboot may start
     * before the first one's completion is handled, which must not make the driver forget the second.
     */
    int rebootsInFlight;
    /** Guarded by job; read without it by lookups (volatile). Undefined and gone. */
    volatile boolean removed;

    /** What queries read without the job (libvirt reads a domain's info without waiting for its job). */
    record View(DomainState state, int domid, DomainDefinition liveDefinition, boolean persistent) {
    }

    /** Written under job by {@link #publish()}; read by anyone. */
    volatile View view;

    XlDomainObj(DomainDefinition def, GuestScript script) {
        this.name = def.name();
        this.uuid = def.uuid();
        this.def = def;
        this.script = script;
        publish();
    }

    /** With job held (or before the object is shared): makes the current fields what queries see. */
    void publish() {
        view = new View(state, domid, liveDefinition(), persistent);
    }

    /** With job held. */
    boolean isActive() {
        return domid > 0;
    }

    /** With job held: the definition as it runs now (the persistent one while inactive). */
    DomainDefinition liveDefinition() {
        return isActive() && liveDef != null ? liveDef.withDisks(liveDisks) : def;
    }

    /** With job held: the definition whose {@code on_*} actions apply now. */
    DomainDefinition actions() {
        return liveDef != null ? liveDef : def;
    }
}
