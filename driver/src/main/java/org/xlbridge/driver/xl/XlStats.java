package org.xlbridge.driver.xl;

/**
 * Counters of an {@code xl} driver state, for reports and checks.
 *
 * @param shutdownRequests  shutdown operations started by {@code shutdown()}
 * @param shutdownsAnswered of those, completed because the guest shut down
 * @param shutdownsTimedOut of those, completed by their timeout (the guest did not answer in time)
 * @param rebootsDone       reboot operations that restarted the guest
 * @param rebootsFailed     reboot operations that ended otherwise (timeout, abort, other shutdown reason)
 * @param libxlEvents       DOMAIN_SHUTDOWN and DOMAIN_DEATH events handled
 * @param actionsApplied    on_poweroff/on_reboot/on_crash actions carried out (destroy, restart, preserve)
 * @param eventsQueued      lifecycle events produced (each counted once, whatever the number of connections)
 */
public record XlStats(long shutdownRequests, long shutdownsAnswered, long shutdownsTimedOut, long rebootsDone,
        long rebootsFailed, long libxlEvents, long actionsApplied, long eventsQueued) {
}
