package org.xlbridge.libxl;

/**
 * One entry of a ctx's nexus pool: libxl's {@code libxl__osevent_hook_nexus}. The application holds it as the
 * "for_libxl" value of a registration and hands it back to {@code occurred*}; it points at the event it currently
 * serves, or at nothing.
 *
 * <p>Locking: every mutable field is guarded by the owning ctx's lock ({@link LibxlContext}); {@link #ctx} and
 * {@link #id} are immutable and read without it.
 *
 * @param <E> the kind of event this nexus can point at
 */
abstract sealed class Nexus<E> permits TimeoutToken, FdToken {
    /** The ctx whose pool this nexus belongs to. Immutable. */
    final LibxlContext ctx;
    /** Number within its pool, from 1. Immutable. */
    final int id;

    /** The event this nexus serves, or null once that event was deregistered. Guarded by the ctx lock. */
    E event;
    /**
     * The application's registration object ("for_app") from the last successful register/modify hook. Guarded by the
     * ctx lock.
     */
    Object forApp;
    /** True while the nexus is out of its pool (possibly only held by the application). Guarded by the ctx lock. */
    boolean inUse;

    Nexus(LibxlContext ctx, int id) {
        this.ctx = ctx;
        this.id = id;
    }

    /** The nexus number, unique per kind within one ctx (from 1) and stable for the life of the ctx. */
    public int nexusId() {
        return id;
    }

    abstract String kind();

    @Override
    public String toString() {
        return kind() + " nexus #" + id + " of " + ctx.name();
    }
}
