package org.xlbridge.libxl.ao;

/**
 * Called once when an asynchronous operation completes: libxl's {@code libxl_asyncop_how.callback}. Runs on the
 * thread that completed the operation, with the ctx lock held (see {@link LibxlDomains} for why this model differs
 * from libxl, which calls it just after releasing the lock). It may start other operations; it must not start a
 * synchronous one or block on another thread that needs the ctx.
 */
@FunctionalInterface
public interface AoCallback {
    /**
     * @param ao the operation
     * @param rc 0, or a negative libxl error code ({@link org.xlbridge.libxl.LibxlError#describe})
     */
    void completed(Ao ao, int rc);
}
