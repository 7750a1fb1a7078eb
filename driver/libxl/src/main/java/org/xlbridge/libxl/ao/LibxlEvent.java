package org.xlbridge.libxl.ao;

import java.util.UUID;
import org.xlbridge.xen.ShutdownReason;

/**
 * An event for the application: libxl's {@code libxl_event}.
 *
 * @param type           what happened
 * @param domid          the domain
 * @param uuid           its UUID
 * @param shutdownReason for {@link LibxlEventType#DOMAIN_SHUTDOWN}, why; null for death
 */
public record LibxlEvent(LibxlEventType type, int domid, UUID uuid, ShutdownReason shutdownReason) {
}
