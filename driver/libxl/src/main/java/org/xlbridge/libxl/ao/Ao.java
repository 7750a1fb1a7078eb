package org.xlbridge.libxl.ao;

import java.util.ArrayList;
import java.util.List;
import org.xlbridge.libxl.LibxlError;

/**
 * One asynchronous operation: libxl's {@code libxl__ao}, as the application sees it. It completes exactly once with
 * a result code; after that nothing of it runs (SPEC I10). {@link LibxlDomains#abort} asks it to stop early.
 *
 * <p>Locking: the mutable fields are guarded by the ctx lock of its {@link LibxlDomains}; {@link #complete} is also
 * volatile so that {@link #isComplete()} can be read without it, and a synchronous waiter waits on this object's
 * monitor, which is only ever taken inside the ctx lock or alone.
 */
public final class Ao {
    private final LibxlDomains owner;
    private final long id;
    private final OpKind kind;
    private final AoHow how;
    /** Guarded by the ctx lock; -1 until create has made the domain. */
    int domid;
    /** Written under the ctx lock. */
    private volatile boolean complete;
    /** Guarded by the ctx lock. */
    int rc;
    /** Guarded by the ctx lock. */
    boolean aborting;
    /** What to run on abort (libxl's abortables); emptied on completion. Guarded by the ctx lock. */
    final List<Runnable> abortables = new ArrayList<>(1);
    /** The ctx clock when it completed. Guarded by the ctx lock. */
    long completedAtNanos;
    /** Eventfd a poll-driving synchronous waiter sleeps on, or -1. Guarded by the ctx lock. */
    int wakeFd = -1;

    Ao(LibxlDomains owner, long id, OpKind kind, int domid, AoHow how) {
        this.owner = owner;
        this.id = id;
        this.kind = kind;
        this.domid = domid;
        this.how = how;
    }

    /** A number unique within its {@link LibxlDomains}. */
    public long id() {
        return id;
    }

    /** What operation this is. */
    public OpKind kind() {
        return kind;
    }

    /** The domain it works on (for create: the new domain's id, -1 until it exists). */
    public int domid() {
        return owner.context().withLock(() -> domid);
    }

    /** How it reports completion. */
    public AoHow how() {
        return how;
    }

    /** Whether it has completed. */
    public boolean isComplete() {
        return complete;
    }

    /**
     * Its result: 0 or a negative libxl error code.
     *
     * @throws IllegalStateException if it has not completed yet
     */
    public int rc() {
        return owner.context().withLock(() -> {
            if (!complete) {
                throw new IllegalStateException(this + " has not completed");
            }
            return rc;
        });
    }

    /** Its result as a {@link LibxlError}, or null for success. */
    public LibxlError error() {
        return LibxlError.fromCode(rc());
    }

    /** Whether an abort was asked for. */
    public boolean isAborting() {
        return owner.context().withLock(() -> aborting);
    }

    void markComplete(int rc, long nowNanos) {
        this.rc = rc;
        this.completedAtNanos = nowNanos;
        this.complete = true;
    }

    @Override
    public String toString() {
        return "ao#" + id + "[" + kind + " domain " + domid + (complete ? ", rc " + LibxlError.describe(rc) : "")
                + "]";
    }
}
