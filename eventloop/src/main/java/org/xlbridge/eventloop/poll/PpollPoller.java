package org.xlbridge.eventloop.poll;

import com.sun.jna.LastErrorException;
import java.util.List;
import org.xlbridge.eventloop.EventLoopException;
import org.xlbridge.eventloop.HandleEvents;
import org.xlbridge.eventloop.core.HandleRegistration;
import org.xlbridge.eventloop.core.Poller;
import org.xlbridge.posix.PollFds;
import org.xlbridge.posix.Posix;
import org.xlbridge.posix.Wakeup;

/**
 * The production {@link Poller}: ppoll(2) through JNA over a native pollfd array whose slot 0 is a
 * {@link Wakeup} fd. The array is rebuilt only when the core reports a changed handle set, and grows
 * only, so a steady-state iteration allocates nothing.
 *
 * <p>Locking: {@link #watch}, {@link #wake()} and {@link #close()} run with the owning loop's lock held;
 * {@link #poll}, {@link #readyHandle} and {@link #readyEvents} on the runner without it. The arrays
 * are runner-confined (built under the loop lock by the runner, read by it); the wakeup fd is written
 * with the loop lock held, so that close cannot close it under a writer.
 */
final class PpollPoller implements Poller {
    private final Wakeup wakeup;
    private final PollFds pollFds;
    /** Runner-confined. polled[i] is the handle in pollfd slot i (slot 0 is the wakeup fd). */
    private HandleRegistration[] polled = new HandleRegistration[8];
    /** Runner-confined. Entries in use in the pollfd array. */
    private int polledCount;
    /** Runner-confined. The ready handles of the last poll, and their events. */
    private HandleRegistration[] ready = new HandleRegistration[8];
    private int[] readyEvents = new int[8];

    /** @throws EventLoopException if no wakeup fd can be created */
    PpollPoller() {
        this.wakeup = Wakeup.open(EventLoopException::new);
        this.pollFds = new PollFds(8);
        pollFds.set(0, wakeup.pollFd(), Posix.POLLIN);
        polledCount = 1;
    }

    @Override
    public void watch(List<HandleRegistration> handles) {
        int n = 1 + handles.size();
        pollFds.ensureCapacity(n);
        if (polled.length < n) {
            polled = new HandleRegistration[Math.max(n, polled.length * 2)];
            ready = new HandleRegistration[polled.length];
            readyEvents = new int[polled.length];
        }
        pollFds.set(0, wakeup.pollFd(), Posix.POLLIN);
        int slot = 1;
        for (int i = 0; i < handles.size(); i++) {
            HandleRegistration h = handles.get(i);
            if (h.events() == 0) {
                continue; // registered but not watched
            }
            pollFds.set(slot, h.fd(), HandleEvents.toPoll(h.events()));
            polled[slot] = h;
            slot++;
        }
        for (int i = slot; i < polledCount; i++) {
            polled[i] = null;
        }
        polledCount = slot;
    }

    @Override
    public int poll(long timeoutNanos) {
        int count = polledCount;
        int n;
        try {
            n = pollFds.pollNanos(count, timeoutNanos);
        } catch (LastErrorException e) {
            throw new EventLoopException("ppoll(2) on " + count + " fds failed with errno " + e.getErrorCode(), e);
        }
        if (n <= 0) {
            return 0;
        }
        if (pollFds.revents(0) != 0) {
            wakeup.drain();
            n--;
        }
        int found = 0;
        for (int slot = 1; slot < count && found < n; slot++) {
            int revents = pollFds.revents(slot);
            if (revents != 0) {
                ready[found] = polled[slot];
                readyEvents[found] = HandleEvents.fromPoll(revents);
                found++;
            }
        }
        return found;
    }

    @Override
    public HandleRegistration readyHandle(int i) {
        return ready[i];
    }

    @Override
    public int readyEvents(int i) {
        return readyEvents[i];
    }

    @Override
    public void wake() {
        wakeup.signal();
    }

    @Override
    public void close() {
        wakeup.close();
        pollFds.close();
        java.util.Arrays.fill(polled, null);
        java.util.Arrays.fill(ready, null);
    }

    /** The native pollfd array (its identity never changes; its capacity grows only). */
    PollFds pollFds() {
        return pollFds;
    }
}
