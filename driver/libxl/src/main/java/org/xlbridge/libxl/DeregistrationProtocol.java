package org.xlbridge.libxl;

/** How the ctx gets rid of a timeout it no longer wants. */
public enum DeregistrationProtocol {
    /**
     * The fix (Xen commit 5f5ef65b): call {@code timeoutModify(ASAP)}, keep the token with the application
     * until its {@code occurredTimeout} arrives, then discard that call and recycle the token. The default.
     */
    ASAP_MODIFY,

    /**
     * Before the fix: call {@code timeoutDeregister} and recycle the token at once. UNSAFE: a late
     * {@code occurredTimeout} already on its way can hit a token that now belongs to a newer timeout and
     * fire it early. Kept only to demonstrate that race.
     */
    LEGACY_DEREGISTER
}
