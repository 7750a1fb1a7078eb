package org.xlbridge.libxl;

/**
 * A consistent snapshot of a {@link LibxlContext}'s event core, taken under the ctx lock.
 *
 * @param registeredTimeEvents   time events registered now (infinite ones included)
 * @param registeredFdEvents     fd events registered now
 * @param timeoutNexiInUse       timeout nexi out of their pool: serving an event, or emptied and still owed an
 *                               {@code occurredTimeout} by the application
 * @param timeoutNexiIdle        timeout nexi in their pool
 * @param fdNexiInUse            fd nexi out of their pool (one per registered fd event while hooks are in use)
 * @param fdNexiIdle             fd nexi in their pool
 * @param timeoutsFired          time event callbacks run (from {@code occurredTimeout} or {@code afterPoll})
 * @param fdEventsDelivered      fd event callbacks run
 * @param staleTimeoutsDiscarded {@code occurredTimeout} calls that found their nexus empty and were thrown away
 *                               (the normal end of a timeout deregistered under
 *                               {@link DeregistrationProtocol#ASAP_MODIFY})
 * @param staleFdsDiscarded      {@code occurredFd} calls ignored because the nexus was empty or served another fd
 * @param fdReportsNotReady      fd reports (from {@code occurredFd} or {@code afterPoll}) whose poll(2) re-check
 *                               found nothing ready, so no callback ran
 * @param timeoutsOnIdleNexus    {@code occurredTimeout} calls for a nexus already back in its pool: a second call
 *                               for one registration, or a late one under the legacy protocol (counted in
 *                               {@code staleTimeoutsDiscarded} too)
 * @param timeoutsFiredEarly     time event callbacks that ran before their deadline on the ctx's clock: what the
 *                               legacy race looks like when a recycled token fires a newer event
 * @param hookFailures           hook calls that threw (a refused register/modify, or a cannot-fail hook that threw)
 * @param callbackFailures       event callbacks that threw
 * @param occurredAfterClose     {@code occurred*} calls that arrived after {@link LibxlContext#close()} and were
 *                               ignored
 */
public record LibxlStats(
        int registeredTimeEvents,
        int registeredFdEvents,
        int timeoutNexiInUse,
        int timeoutNexiIdle,
        int fdNexiInUse,
        int fdNexiIdle,
        long timeoutsFired,
        long fdEventsDelivered,
        long staleTimeoutsDiscarded,
        long staleFdsDiscarded,
        long fdReportsNotReady,
        long timeoutsOnIdleNexus,
        long timeoutsFiredEarly,
        long hookFailures,
        long callbackFailures,
        long occurredAfterClose) {

    /** Nexi of both kinds out of their pools; zero at quiescence (invariant I4). */
    public int busyNexi() {
        return timeoutNexiInUse + fdNexiInUse;
    }
}
