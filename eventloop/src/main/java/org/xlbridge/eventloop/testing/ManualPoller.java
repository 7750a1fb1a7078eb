package org.xlbridge.eventloop.testing;

import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.xlbridge.eventloop.core.HandleRegistration;
import org.xlbridge.eventloop.core.Poller;

/**
 * The {@link Poller} of {@link ManualEventLoop}: no fds. A poll reports the handles the test said were
 * ready ({@link #fire}); it does not wait when there are any, nor when asked not to. Otherwise it waits
 * for {@link #wake()} only (on pure virtual time nothing becomes due by itself), or, when the loop
 * follows a real clock, at most the timeout in real nanoseconds. An interrupt ends such a wait like a
 * wake and is handed back to the core ({@link #takeSwallowedInterrupt()}), which re-asserts it when the
 * runner leaves.
 *
 * <p>Locking: its own lock {@link #lock} guards every field; {@link #wake()} is called with the loop
 * lock held and then takes this lock (never the other way round).
 */
final class ManualPoller implements Poller {
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition woken = lock.newCondition();
    private final boolean realTimeouts;

    /** Guarded by lock. A wake not yet consumed by a poll. */
    private boolean wakePending;
    /** Guarded by lock. Handles the test fired, and their events, for the next poll. */
    private HandleRegistration[] fired = new HandleRegistration[4];
    private int[] firedEvents = new int[4];
    private int firedCount;
    /** Guarded by lock. What the last poll reported (read by the runner after it). */
    private HandleRegistration[] ready = new HandleRegistration[4];
    private int[] readyEvents = new int[4];
    /** Guarded by lock. An interrupt ended a wait and has not been handed back. */
    private boolean swallowedInterrupt;

    /** @param realTimeouts whether a poll may wait out its timeout in real time (a following loop) */
    ManualPoller(boolean realTimeouts) {
        this.realTimeouts = realTimeouts;
    }

    /** Reports {@code h} ready with {@code events} at the next poll. */
    void fire(HandleRegistration h, int events) {
        lock.lock();
        try {
            if (firedCount == fired.length) {
                fired = Arrays.copyOf(fired, firedCount * 2);
                firedEvents = Arrays.copyOf(firedEvents, firedCount * 2);
            }
            fired[firedCount] = h;
            firedEvents[firedCount] = events;
            firedCount++;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void watch(List<HandleRegistration> handles) {
        // Nothing to watch: handles are ready only when the test says so.
    }

    @Override
    public int poll(long timeoutNanos) {
        lock.lock();
        try {
            if (firedCount == 0 && !wakePending && timeoutNanos != 0) {
                await(timeoutNanos);
            }
            wakePending = false;
            int n = firedCount;
            if (ready.length < n) {
                ready = Arrays.copyOf(fired, fired.length);
                readyEvents = Arrays.copyOf(firedEvents, firedEvents.length);
            }
            System.arraycopy(fired, 0, ready, 0, n);
            System.arraycopy(firedEvents, 0, readyEvents, 0, n);
            Arrays.fill(fired, 0, n, null);
            firedCount = 0;
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** Waits for a wake (or the timeout, in real time, if this poller has real timeouts). */
    private void await(long timeoutNanos) {
        try {
            if (realTimeouts && timeoutNanos > 0) {
                woken.awaitNanos(timeoutNanos);
            } else {
                while (!wakePending && firedCount == 0) {
                    woken.await();
                }
            }
        } catch (InterruptedException e) {
            swallowedInterrupt = true;
        }
    }

    @Override
    public HandleRegistration readyHandle(int i) {
        lock.lock();
        try {
            return ready[i];
        } finally {
            lock.unlock();
        }
    }

    @Override
    public int readyEvents(int i) {
        lock.lock();
        try {
            return readyEvents[i];
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void wake() {
        lock.lock();
        try {
            wakePending = true;
            woken.signalAll();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean takeSwallowedInterrupt() {
        lock.lock();
        try {
            boolean was = swallowedInterrupt;
            swallowedInterrupt = false;
            return was;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void close() {
        lock.lock();
        try {
            Arrays.fill(fired, null);
            Arrays.fill(ready, null);
            firedCount = 0;
        } finally {
            lock.unlock();
        }
    }
}
