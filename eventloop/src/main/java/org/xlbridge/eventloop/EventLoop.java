package org.xlbridge.eventloop;

/**
 * The Java form of libvirt's event implementation contract ({@code virEventRegisterImpl}): watches on
 * file descriptors ("handles") and periodic timers ("timeouts"), dispatched by a loop thread.
 *
 * <p>Semantics every implementation honours (each one is a test of the conformance suite):
 * <ol>
 *   <li>{@code frequencyMs}: {@code -1} disabled; {@code 0} fires on every iteration; {@code N > 0} fires
 *       every N ms, first at now+N. Timers are periodic until disabled or removed.
 *       {@link #updateTimeout} re-bases: the next expiry is now+f.</li>
 *   <li>A timer never fires before its expiry. Lateness is measured and reported.</li>
 *   <li>Ids are positive and never handed out again by one loop instance while live (the free callback
 *       has not run) or recently freed (within the loop's quarantine after the free ran): I8, see
 *       {@code docs/invariants.md}. Counters wrap to 1 at their end and skip such ids.</li>
 *   <li>{@code update*} on an unknown or removed id is a no-op; {@code remove*} returns false for it.</li>
 *   <li>Callbacks run on the loop thread with no loop lock held, and may call any method, including
 *       removing their own registration.</li>
 *   <li>After {@code remove*}, the {@link FreeCallback} runs exactly once, on the loop thread, after any
 *       running callback of that registration has returned. {@link #close()} runs the outstanding ones.
 *       A null {@code FreeCallback} is allowed.</li>
 *   <li>Every method may be called from any thread; a change that makes the loop's next wakeup earlier,
 *       or adds a handle, wakes a blocked loop.</li>
 *   <li>A callback that throws is logged and counted; the loop goes on.</li>
 *   <li>Bad arguments throw {@link IllegalArgumentException}; using a closed loop throws
 *       {@link IllegalStateException}; a native failure throws {@link EventLoopException}. Nothing
 *       half-registers.</li>
 *   <li>{@link #stats()} reports live timeouts, live handles, dispatches, callback failures and frees
 *       still pending.</li>
 * </ol>
 *
 * <p>Three rules every implementation shares (the conformance suite tests each one):
 * <ul>
 *   <li><b>Stop.</b> {@link #stop()} asks the loop to stop. A {@link #run()} under way returns after its
 *       current iteration. With none under way the request waits for the next {@code run()} or
 *       {@link #runOnce()}, and whichever returns first consumes it: {@code run()} returns without
 *       iterating; {@code runOnce()} runs its iteration without blocking (it still dispatches what is
 *       due). So after {@code stop(); runOnce();} a {@code run()} iterates until the next
 *       {@code stop()}.</li>
 *   <li><b>Interrupts.</b> An interrupt of the thread running the loop neither stops the loop nor ends
 *       {@code run()} or {@code runOnce()} early, and it is not lost: the thread's interrupt status is
 *       set when they return. (The loops wait in native calls, ppoll(2) or libvirt's GLib poll, that an
 *       interrupt cannot end; {@code stop()} is the way to end {@code run()}.)</li>
 *   <li><b>Callback errors.</b> Whatever a {@link TimeoutCallback}, {@link HandleCallback} or
 *       {@link FreeCallback} throws, checked exceptions and {@link Error}s included, is logged, counted in
 *       {@link EventLoopStats#callbackFailures()}, and the loop goes on with the next callback. The one
 *       exception is a {@link VirtualMachineError} other than {@link StackOverflowError} (an
 *       {@link OutOfMemoryError}, say), after which the JVM may be unable to go on: it is counted too,
 *       then rethrown out of the {@code run()} or {@code runOnce()} (or {@code close()}) whose iteration
 *       ran the callback, with the loop's state consistent; the loop stays open, and a later
 *       {@code run()} goes on. ({@code org.xlbridge.eventloop.core.Contract} holds the rule.)</li>
 * </ul>
 */
public interface EventLoop extends AutoCloseable {

    /**
     * Watches {@code fd} for {@code events} (a mask of {@link HandleEvents} bits).
     *
     * @return the watch id, positive, not handed out again while live or recently freed (I8)
     */
    int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff);

    /** Changes the events watched; a no-op for an unknown or removed watch. */
    void updateHandle(int watch, int events);

    /** Stops watching; the free callback runs later on the loop thread. False for an unknown watch. */
    boolean removeHandle(int watch);

    /**
     * Adds a periodic timer.
     *
     * @param frequencyMs -1 disabled, 0 every iteration, N &gt; 0 every N ms (first at now+N)
     * @return the timer id, positive, not handed out again while live or recently freed (I8)
     */
    int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff);

    /** Changes the frequency and re-bases the expiry to now+frequency; a no-op for an unknown timer. */
    void updateTimeout(int timer, int frequencyMs);

    /** Removes the timer; the free callback runs later on the loop thread. False for an unknown timer. */
    boolean removeTimeout(int timer);

    /**
     * Runs one iteration: blocks until something is due or a wakeup, then dispatches what is ready.
     * Does not block when a stop is pending, and consumes it (see the stop rule above).
     */
    void runOnce();

    /** Iterates until {@link #stop()} or {@link #close()}; returns at once if a stop is pending. */
    void run();

    /** Asks {@link #run()} to return (see the stop rule above); callable from any thread, wakes a blocked loop. */
    void stop();

    /** A snapshot of the loop's counters. */
    EventLoopStats stats();

    /** Stops the loop, then runs every outstanding {@link FreeCallback} exactly once. Idempotent. */
    @Override
    void close();
}
