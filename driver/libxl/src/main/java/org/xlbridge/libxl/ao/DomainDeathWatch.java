package org.xlbridge.libxl.ao;

import java.util.UUID;

/**
 * An enabled domain death watch: libxl's {@code libxl_evgen_domain_death}, from
 * {@link LibxlDomains#evenableDomainDeath}. While enabled it reports {@link LibxlEventType#DOMAIN_SHUTDOWN} once per
 * shutdown (again after the domain runs again) and {@link LibxlEventType#DOMAIN_DEATH} once, after which it reports
 * nothing more. {@link #disable()} ({@code libxl_evdisable_domain_death}) stops it; idempotent.
 *
 * <p>Locking: the mutable fields are guarded by the ctx lock of its {@link LibxlDomains}.
 */
public final class DomainDeathWatch {
    private final LibxlDomains owner;
    final int domid;
    final UUID uuid;
    /** Guarded by the ctx lock. */
    boolean shutdownReported;
    /** Guarded by the ctx lock. */
    boolean deathReported;
    /** Guarded by the ctx lock. */
    boolean enabled = true;

    DomainDeathWatch(LibxlDomains owner, int domid, UUID uuid) {
        this.owner = owner;
        this.domid = domid;
        this.uuid = uuid;
    }

    /** The watched domain. */
    public int domid() {
        return domid;
    }

    /** Whether DOMAIN_DEATH was reported. */
    public boolean deathReported() {
        return owner.context().withLock(() -> deathReported);
    }

    /** Stops the watch. Idempotent. */
    public void disable() {
        owner.disable(this);
    }
}
