package org.xlbridge.host;

import java.util.List;
import org.xlbridge.driver.api.LifecycleListener;
import org.xlbridge.driver.xl.EventJournal;

/**
 * An I9 checker of {@code xlbridge host}: the xl driver's {@link EventJournal} tells it what was produced,
 * a {@link LifecycleListener} on a checking connection what arrived. {@link EventAudit} matches in-process
 * deliveries by identity; {@link WireEventAudit} matches deliveries that crossed the daemon's wire by value.
 */
interface LifecycleAudit extends EventJournal, LifecycleListener {
    /** The counts so far (no comparison across connections). */
    EventCounts counts();

    /** Domains with an event produced and not (yet) delivered, at most {@code max}, for the report's notes. */
    List<String> domainsWithLostEvents(int max);
}
