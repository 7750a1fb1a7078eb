package org.xlbridge.driver;

/**
 * A snapshot of the bridge's counters.
 *
 * @param liveTimeouts          timeout registrations not yet freed by the loop
 * @param liveFds               fd registrations not yet freed by the loop
 * @param timeoutsRegistered    register hooks that succeeded
 * @param occurredDelivered     {@code occurredTimeout} calls made
 * @param modifyAsapCalls       modify(ASAP) hooks received
 * @param modifyWhileFiring     modify(ASAP) that found the registration firing or done: the race, coped with
 * @param legacyDeregisterCalls timeoutDeregister hooks received (legacy protocol only)
 * @param duplicateDispatches   second dispatches of one registration, suppressed
 * @param timeoutFrees          timeout registrations freed by the loop
 * @param fdEventsDelivered     {@code occurredFd} calls made
 * @param fdFrees               fd registrations freed by the loop
 * @param violations            uses after free, double frees and foreign objects seen (always 0 when correct)
 */
public record BridgeStats(
        int liveTimeouts,
        int liveFds,
        long timeoutsRegistered,
        long occurredDelivered,
        long modifyAsapCalls,
        long modifyWhileFiring,
        long legacyDeregisterCalls,
        long duplicateDispatches,
        long timeoutFrees,
        long fdEventsDelivered,
        long fdFrees,
        long violations) {
}
