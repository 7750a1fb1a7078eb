package org.xlbridge.driver.events;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.event.DomainEvent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.eventloop.logging.RepeatedFailureLog;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.api.LifecycleListener;
import org.xlbridge.eventloop.EventLoop;

/**
 * One connection's lifecycle-event state, the Java form of libvirt's {@code virObjectEventState}
 * ({@code src/conf/object_event.c}): events are queued by whatever thread made the change and delivered
 * to the listeners by ONE timer of the event loop, so listeners always run on the loop thread.
 *
 * <p>The timer follows libvirt's pattern exactly:
 * <ul>
 *   <li>{@code addTimeout(-1)} when the first listener is added (no listener: no timer, and offered
 *       events are dropped, as libvirt drops them);</li>
 *   <li>{@code updateTimeout(t, 0)} by the queuing thread when the queue goes from empty to non-empty;</li>
 *   <li>{@code updateTimeout(t, -1)} at the start of the flush, which takes the whole queue;</li>
 *   <li>{@code removeTimeout(t)} when the last listener goes, which may be from inside the flush (a
 *       listener removing itself): then at the end of that flush.</li>
 * </ul>
 * The "update to 0 races the running flush" case is harmless by construction: an event queued while a
 * flush delivers (lock released) re-arms the timer and is delivered by the next flush; an event queued
 * between the timer firing and the flush taking the lock is taken by that flush, and the later
 * {@code -1} disarms the now useless re-arm.
 *
 * <p>Guarantees (SPEC I9): each event reaches each listener registered when it is flushed exactly once;
 * events are delivered in queue order, so a producer that queues a domain's events in the order the
 * changes happened (under that domain's lock) gets per-domain order; a listener removed (even from
 * inside a listener) gets nothing after its removal.
 *
 * <p>Locking rules: {@link #lock} guards every mutable field. It is held while calling
 * {@code addTimeout}/{@code updateTimeout}/{@code removeTimeout} (lock order: this queue, then the loop's
 * own lock; loops never call back while holding theirs), and released around every listener call, so a
 * listener may call any method here.
 */
public final class DomainEventQueue implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(DomainEventQueue.class);
    /** Listener failures: the first ten in full, then thinned out. */
    private final RepeatedFailureLog listenerFailureLog = new RepeatedFailureLog(log, 10);

    private record Queued(Domain domain, DomainEvent event) {
    }

    private static final class Entry {
        final LifecycleListener listener;
        /** Guarded by the queue's lock. Marked instead of removed while a flush iterates. */
        boolean deleted;

        Entry(LifecycleListener listener) {
            this.listener = listener;
        }
    }

    private final EventLoop loop;
    private final String name;
    private final ReentrantLock lock = new ReentrantLock();

    /** Guarded by lock. Events waiting for the next flush. */
    private ArrayList<Queued> queue = new ArrayList<>();
    /** Guarded by lock. Registered listeners; appended to, and only purged outside a flush. */
    private final ArrayList<Entry> listeners = new ArrayList<>();
    /** Guarded by lock. The loop timer, or -1 while there is no listener. */
    private int timer = -1;
    /** Guarded by lock. A flush is delivering (listener removal marks instead of removing). */
    private boolean dispatching;
    /** Guarded by lock. */
    private boolean closed;

    /** Guarded by lock. Counters, see {@link EventQueueStats}. */
    private long queued;
    private long dropped;
    private long delivered;
    private long listenerFailures;
    private long flushes;
    private long timerArms;

    /**
     * @param loop the loop whose thread runs the listeners
     * @param name for log messages, e.g. the connection URI
     */
    public DomainEventQueue(EventLoop loop, String name) {
        if (loop == null) {
            throw new IllegalArgumentException("loop must not be null");
        }
        this.loop = loop;
        this.name = name == null ? "events" : name;
    }

    /**
     * Adds a listener; the first one creates the loop timer.
     *
     * @throws DriverException {@code VIR_ERR_INVALID_ARG} for null or a listener already registered,
     *         {@code VIR_ERR_INVALID_CONN} after {@link #close()}, {@code VIR_ERR_INTERNAL_ERROR} when the
     *         loop refuses the timer (nothing is registered then)
     */
    public void addListener(LifecycleListener listener) {
        if (listener == null) {
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, "listener must not be null");
        }
        lock.lock();
        try {
            if (closed) {
                throw new DriverException(ErrorNumber.VIR_ERR_INVALID_CONN, name + ": connection is closed");
            }
            if (find(listener) != null) {
                throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG,
                        name + ": lifecycle listener already registered");
            }
            if (timer == -1) {
                try {
                    timer = loop.addTimeout(-1, this::flush, null);
                } catch (RuntimeException e) {
                    throw new DriverException(ErrorNumber.VIR_ERR_INTERNAL_ERROR,
                            name + ": could not initialize domain event timer", e);
                }
            }
            listeners.add(new Entry(listener));
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes a listener; it receives nothing afterwards, even from a flush already running. The last one
     * removes the timer (at the end of the running flush if there is one) and drops queued events.
     *
     * @throws DriverException {@code VIR_ERR_INVALID_ARG} when the listener is not registered
     */
    public void removeListener(LifecycleListener listener) {
        lock.lock();
        try {
            Entry e = find(listener);
            if (e == null) {
                throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG,
                        name + ": lifecycle listener not registered");
            }
            if (dispatching) {
                e.deleted = true;
            } else {
                listeners.remove(e);
            }
            cleanupTimer();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Queues an event for the next flush, from any thread. Producers call it in the order the domain's
     * changes happened (holding whatever orders them), which is the order listeners see.
     *
     * @return false when dropped because no listener is registered (or the queue is closed)
     */
    public boolean queue(Domain domain, DomainEvent event) {
        if (domain == null || event == null) {
            throw new IllegalArgumentException("domain and event must not be null");
        }
        lock.lock();
        try {
            if (timer == -1) {
                dropped++;
                return false;
            }
            queue.add(new Queued(domain, event));
            queued++;
            if (queue.size() == 1) {
                timerArms++;
                loop.updateTimeout(timer, 0);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The timer callback, on the loop thread: takes the whole queue, disarms the timer, delivers. libvirt's
     * loops never dispatch one timer twice at once, but a Java application's pooled dispatcher may: then
     * the second dispatch returns without taking anything, so that two batches are never delivered side by
     * side (which would break per-domain order). Whatever was queued meanwhile re-armed the timer, so the
     * next dispatch after the running flush takes it.
     */
    private void flush(int firedTimer) {
        lock.lock();
        try {
            if (firedTimer != timer || dispatching) {
                return;
            }
            flushes++;
            dispatching = true;
            ArrayList<Queued> batch = queue;
            queue = new ArrayList<>();
            loop.updateTimeout(timer, -1);
            try {
                for (Queued q : batch) {
                    deliver(q);
                }
            } finally {
                listeners.removeIf(e -> e.deleted);
                dispatching = false;
                cleanupTimer();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Called with lock held; releases it around each listener call. */
    private void deliver(Queued q) {
        // Listeners added during the delivery are appended; like libvirt, count only those present now.
        int count = listeners.size();
        for (int i = 0; i < count; i++) {
            Entry e = listeners.get(i);
            if (e.deleted) {
                continue;
            }
            delivered++;
            lock.unlock();
            boolean failed = false;
            try {
                e.listener.onLifecycleChange(q.domain(), q.event());
            } catch (RuntimeException ex) {
                failed = true;
                listenerFailureLog.failed("{}: lifecycle listener threw on {} for {}", name, q.event(), describe(q.domain()), ex);
            } finally {
                lock.lock();
            }
            if (failed) {
                listenerFailures++;
            }
        }
    }

    private static String describe(Domain d) {
        try {
            return d.getName();
        } catch (RuntimeException e) {
            return String.valueOf(d);
        }
    }

    /** With lock held: no listener left (none even marked) means no timer and no queue. */
    private void cleanupTimer() {
        if (!listeners.isEmpty() || timer == -1) {
            return;
        }
        loop.removeTimeout(timer);
        timer = -1;
        queue.clear();
    }

    private Entry find(LifecycleListener listener) {
        for (Entry e : listeners) {
            if (!e.deleted && e.listener == listener) {
                return e;
            }
        }
        return null;
    }

    /** Number of registered listeners (not counting ones removed during a running flush). */
    public int listenerCount() {
        lock.lock();
        try {
            int n = 0;
            for (Entry e : listeners) {
                if (!e.deleted) {
                    n++;
                }
            }
            return n;
        } finally {
            lock.unlock();
        }
    }

    /** The loop timer's id, or -1 when there is none (no listener). For tests and diagnostics. */
    public int timerId() {
        lock.lock();
        try {
            return timer;
        } finally {
            lock.unlock();
        }
    }

    /** Events waiting for the next flush. */
    public int pending() {
        lock.lock();
        try {
            return queue.size();
        } finally {
            lock.unlock();
        }
    }

    public EventQueueStats stats() {
        lock.lock();
        try {
            return new EventQueueStats(queued, dropped, delivered, listenerFailures, flushes, timerArms);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Removes every listener and the timer (at the end of a running flush if called from a listener);
     * queued events are dropped. Further {@link #addListener} calls fail. Idempotent.
     */
    @Override
    public void close() {
        lock.lock();
        try {
            closed = true;
            for (Entry e : listeners) {
                e.deleted = true;
            }
            if (!dispatching) {
                listeners.clear();
            }
            cleanupTimer();
        } finally {
            lock.unlock();
        }
    }
}
