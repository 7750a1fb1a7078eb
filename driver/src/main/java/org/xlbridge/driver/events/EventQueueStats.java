package org.xlbridge.driver.events;

/**
 * Counters of one {@link DomainEventQueue}.
 *
 * @param queued           events accepted into the queue
 * @param dropped          events offered while no listener was registered (libvirt drops them too)
 * @param delivered        listener calls made (one event to two listeners counts two)
 * @param listenerFailures listener calls that threw (logged; the others still ran)
 * @param flushes          timer dispatches that flushed the queue
 * @param timerArms        {@code updateTimeout(timer, 0)} calls (queue went from empty to non-empty)
 */
public record EventQueueStats(long queued, long dropped, long delivered, long listenerFailures, long flushes,
        long timerArms) {
}
