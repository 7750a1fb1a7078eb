package org.xlbridge.libxl.ao;

/** The libxl event types this model reports ({@code libxl_event_type}). */
public enum LibxlEventType {
    /** The domain shut down (or crashed); the event carries the reason. Reported once per shutdown. */
    DOMAIN_SHUTDOWN,
    /** The domain is dying or gone. Reported once; the death watch then reports nothing more. */
    DOMAIN_DEATH
}
