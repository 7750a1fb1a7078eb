package org.xlbridge.driver.xl;

/**
 * Sees the libxl operations that the {@code xl} driver leaves running after the API call returns (a guest
 * shutdown or reboot waiting for the guest), when they start and when they complete, with libxl's ao id and
 * result code. A checker uses it to prove that an operation aborted mid-way (by a destroy, or by the state
 * closing) completed exactly once, with ABORTED (SPEC I10). {@link #started} runs on the caller's thread
 * inside the API call. {@link #completed} runs for a shutdown with the libxl ctx lock held, on whichever
 * thread completed it; for a reboot once the driver has handled the completion (on its event worker, the
 * reboot's lifecycle events already queued), so that after it nothing of that reboot is still to come.
 * Both must be quick and must not call the driver.
 */
public interface OperationJournal {
    /** {@code operation} ("shutdown" or "reboot") of {@code domain} started as libxl ao {@code aoId}. */
    void started(String domain, String operation, long aoId);

    /** The ao completed with {@code rc} (0, or a negative libxl error code, e.g. ABORTED, -22). */
    void completed(String domain, String operation, long aoId, int rc);
}
