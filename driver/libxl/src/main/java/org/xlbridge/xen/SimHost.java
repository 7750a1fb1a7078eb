package org.xlbridge.xen;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.ids.IdAllocator;

/**
 * A simulated Xen host: the hypervisor's domains and a {@link XenStore}, with guests and device backends that
 * behave as their {@link GuestScript} says. It knows nothing of libxl, as Xen knows nothing of libxl: the toolstack
 * calls the hypercall-like methods ({@link #createDomain}, {@link #pause}, {@link #destroy}, ...) and reads and
 * writes xenstore; the host answers through xenstore and through {@code @releaseDomain}, which it fires whenever a
 * domain shuts down, crashes, finishes a slow pause or is released after a destroy.
 *
 * <p>Guests react to xenstore, as PV guests do: writing {@code poweroff} or {@code reboot} to
 * {@code /local/domain/N/control/shutdown} makes the guest shut down after its scripted delay. The device backend
 * reacts to {@code /local/domain/0/backend/vbd/N/DEV/state}: {@code 1} (Initialising) is answered by {@code 4}
 * (Connected), {@code 5} (Closing) by {@code 6} (Closed), after the scripted delay.
 *
 * <p>Time: delays are on the clock given at construction (nanoseconds). Scripted actions run when they are due, on
 * whichever thread calls {@link #runDue()}, or on the host's own clock thread once {@link #startClockThread()} was
 * called (real time). Tests on virtual time call {@link #runDue()} after moving their clock.
 *
 * <p>Locking: {@code this} (synchronized) guards the domains, the schedule and the clock thread field; the clock
 * thread sleeps in {@code parkNanos} without it and is unparked when an earlier action is scheduled. It is never held while the store is
 * written or a scripted action runs; the store's listener takes it briefly. Lock order, toolstack side: the libxl ctx
 * lock, then this, then the store's lock.
 */
public final class SimHost implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(SimHost.class);
    /** The special path the host fires when a domain's state changes in a way the toolstack must see. */
    public static final String RELEASE_DOMAIN = "@releaseDomain";
    private static final long NANOS_PER_MS = 1_000_000L;
    private static final String BACKEND_PREFIX = "/local/domain/0/backend/vbd/";

    private final LongSupplier clock;
    private final XenStore store = new XenStore();

    /** Guarded by this. */
    private final TreeMap<Integer, Dom> domains = new TreeMap<>();
    /** Guarded by this. */
    private final Map<String, Integer> byName = new HashMap<>();
    /**
     * The largest guest domid: one below Xen's {@code DOMID_FIRST_RESERVED} (0x7FF0; DOMID_SELF and the
     * other special ids follow it).
     */
    public static final int LAST_DOMID = 0x7FEF;
    /**
     * Guarded by this. Domids as Xen hands them out: the next one after the last, wrapping from
     * {@link #LAST_DOMID} to 1 and skipping live domains; like libxl's domid history, a released domid
     * also rests for a quarter of the space's allocations before it comes back. The test-and-soak seam of
     * {@link IdAllocator#configured(String, int)} may shrink the space.
     */
    private final IdAllocator domids;
    /** Guarded by this. */
    private final PriorityQueue<Scheduled> schedule = new PriorityQueue<>();
    /** Guarded by this. */
    private long scheduleSeq;
    /** Guarded by this. */
    private Thread clockThread;
    /** Guarded by this. */
    private boolean closed;

    /** One domain; its fields are guarded by the host's lock. */
    private static final class Dom {
        final int domid;
        final String name;
        final UUID uuid;
        final long memoryKb;
        final int vcpus;
        final GuestScript script;
        DomainState state = DomainState.PAUSED;
        ShutdownReason reason;
        boolean everRan;
        /** Bumped on each life (restart), so a scripted action of an earlier life does nothing. */
        int life;
        /** The guest ignores the next shutdown or reboot request ({@link #silenceNextRequest}). */
        boolean silenced;

        Dom(int domid, String name, UUID uuid, long memoryKb, int vcpus, GuestScript script) {
            this.domid = domid;
            this.name = name;
            this.uuid = uuid;
            this.memoryKb = memoryKb;
            this.vcpus = vcpus;
            this.script = script;
        }

        DomainInfo info() {
            return new DomainInfo(domid, name, uuid, memoryKb, vcpus, state, reason);
        }
    }

    private record Scheduled(long due, long seq, Runnable action) implements Comparable<Scheduled> {
        @Override
        public int compareTo(Scheduled o) {
            int c = Long.compare(due, o.due);
            return c != 0 ? c : Long.compare(seq, o.seq);
        }
    }

    /** A host on {@code clockNanos} (monotonic nanoseconds, e.g. {@code System::nanoTime} or a test's clock). */
    public SimHost(LongSupplier clockNanos) {
        if (clockNanos == null) {
            throw new IllegalArgumentException("clock must not be null");
        }
        this.clock = clockNanos;
        this.domids = IdAllocator.configured("domid", LAST_DOMID);
        store.addListener(this::onStoreChange);
        store.write("/local/domain/0/name", "Domain-0");
    }

    /** Times the domid counter wrapped from its last domid to 1. */
    public synchronized long domidWraps() {
        return domids.wraps();
    }

    /** A host on {@link System#nanoTime()} with its clock thread running. */
    public static SimHost realTime() {
        SimHost h = new SimHost(System::nanoTime);
        h.startClockThread();
        return h;
    }

    /** The host's xenstore. */
    public XenStore store() {
        return store;
    }

    /** The host clock, in nanoseconds. */
    public long nanoTime() {
        return clock.getAsLong();
    }

    // ------------------------------------------------------------------ hypercalls

    /**
     * Creates a domain, paused ({@code xc_domain_create}). The hypervisor does not care about names; the
     * toolstack must.
     *
     * @return its domid
     */
    public int createDomain(String name, UUID uuid, long memoryKb, int vcpus, GuestScript script) {
        if (name == null || name.isEmpty() || uuid == null || script == null || memoryKb <= 0 || vcpus <= 0) {
            throw new XenException(XenException.Kind.INVALID, "createDomain: bad arguments (name=" + name
                    + ", uuid=" + uuid + ", memoryKb=" + memoryKb + ", vcpus=" + vcpus + ", script=" + script + ")");
        }
        synchronized (this) {
            ensureOpen();
            int domid;
            try {
                domid = domids.allocate();
            } catch (IllegalStateException full) {
                throw new XenException(XenException.Kind.NO_FREE_DOMID, "createDomain(" + name + "): "
                        + full.getMessage());
            }
            domains.put(domid, new Dom(domid, name, uuid, memoryKb, vcpus, script));
            byName.put(name, domid);
            return domid;
        }
    }

    /** {@code xc_domain_getinfo} for one domain. */
    public synchronized Optional<DomainInfo> domainInfo(int domid) {
        Dom d = domains.get(domid);
        return d == null ? Optional.empty() : Optional.of(d.info());
    }

    /** The domain that has {@code name}, if any. */
    public synchronized Optional<DomainInfo> findByName(String name) {
        Integer id = byName.get(name);
        return id == null ? Optional.empty() : Optional.of(domains.get(id).info());
    }

    /** Every domain, by domid. */
    public synchronized List<DomainInfo> domains() {
        List<DomainInfo> out = new ArrayList<>(domains.size());
        for (Dom d : domains.values()) {
            out.add(d.info());
        }
        return out;
    }

    /** Number of domains (dying ones included). */
    public synchronized int domainCount() {
        return domains.size();
    }

    /** Unpauses a paused domain ({@code xc_domain_unpause}); its crash timer starts the first time it runs. */
    public void unpause(int domid) {
        synchronized (this) {
            Dom d = require(domid);
            requireState(d, "unpause", DomainState.PAUSED);
            d.state = DomainState.RUNNING;
            if (!d.everRan) {
                d.everRan = true;
                if (d.script.crashAtMs() != GuestScript.NEVER) {
                    int life = d.life;
                    scheduleLocked(d.script.crashAtMs(), () -> crash(domid, life));
                }
            }
        }
    }

    /**
     * Pauses a running domain ({@code xc_domain_pause}). With a scripted pause delay the domain stays running until
     * then, and the host fires {@code @releaseDomain} when it is paused (Xen's pause is synchronous; the slow pause
     * is the simulation's way to make a pause wait).
     *
     * @return whether the domain is paused already
     */
    public boolean pause(int domid) {
        synchronized (this) {
            Dom d = require(domid);
            requireState(d, "pause", DomainState.RUNNING);
            if (d.script.pauseDelayMs() == 0) {
                d.state = DomainState.PAUSED;
                return true;
            }
            int life = d.life;
            scheduleLocked(d.script.pauseDelayMs(), () -> {
                boolean changed;
                synchronized (this) {
                    Dom x = domains.get(domid);
                    changed = x != null && x.life == life && x.state == DomainState.RUNNING;
                    if (changed) {
                        x.state = DomainState.PAUSED;
                    }
                }
                if (changed) {
                    store.fireSpecial(RELEASE_DOMAIN);
                }
            });
            return false;
        }
    }

    /**
     * Destroys a domain ({@code xc_domain_destroy}): it is dying at once, and released (gone from the host, its
     * xenstore directory removed, {@code @releaseDomain} fired) after the scripted release delay, or never.
     */
    public void destroy(int domid) {
        long delay;
        synchronized (this) {
            Dom d = require(domid);
            if (d.state == DomainState.DYING) {
                return;
            }
            d.state = DomainState.DYING;
            d.life++;
            delay = d.script.releaseDelayMs();
            if (delay != GuestScript.NEVER) {
                scheduleLocked(delay, () -> release(domid));
            }
        }
    }

    /**
     * Starts a shut-down domain again in place (the simulation's stand-in for the toolstack re-creating a guest that
     * shut down for reboot): running, same domid, a new life.
     */
    public void restart(int domid) {
        synchronized (this) {
            Dom d = require(domid);
            requireState(d, "restart", DomainState.SHUTDOWN, DomainState.CRASHED);
            d.state = DomainState.RUNNING;
            d.reason = null;
            d.life++;
            d.silenced = false;
        }
        store.rm("/local/domain/" + domid + "/control/shutdown");
    }

    /**
     * Crashes the guest now, as its script's {@code crashAtMs} would (for fault injection): the domain becomes
     * CRASHED with reason CRASH and {@code @releaseDomain} fires.
     *
     * @return false if the domain is not running, paused or shutting down (dying, shut down, crashed already)
     * @throws XenException NO_SUCH_DOMAIN for an unknown domid
     */
    public boolean crash(int domid) {
        int life;
        synchronized (this) {
            life = require(domid).life;
        }
        return crash(domid, life);
    }

    /**
     * The guest shuts down now with {@code reason} (POWEROFF or REBOOT), on its own or answering a request whatever
     * its script says: for tests that decide when a guest answers ("answers late") or that make a guest power off or
     * reboot itself. {@code @releaseDomain} fires as for a scripted answer.
     *
     * @return false if the domain is not running or paused (dying, shut down or crashed already)
     * @throws XenException NO_SUCH_DOMAIN for an unknown domid
     * @throws IllegalArgumentException for a reason other than POWEROFF or REBOOT
     */
    public boolean shutdownFromGuest(int domid, ShutdownReason reason) {
        if (reason != ShutdownReason.POWEROFF && reason != ShutdownReason.REBOOT) {
            throw new IllegalArgumentException("a guest powers off or reboots, not " + reason);
        }
        synchronized (this) {
            Dom d = require(domid);
            if (d.state != DomainState.RUNNING && d.state != DomainState.PAUSED
                    && d.state != DomainState.SHUTTING_DOWN) {
                return false;
            }
            d.state = DomainState.SHUTDOWN;
            d.reason = reason;
        }
        store.fireSpecial(RELEASE_DOMAIN);
        return true;
    }

    /**
     * Makes the guest ignore the next shutdown or reboot request written to its {@code control/shutdown} (for fault
     * injection: a guest that hangs once). Cleared by that request, or when the domain restarts.
     *
     * @return false if the domain is not running or paused (a request would not reach the guest anyway)
     * @throws XenException NO_SUCH_DOMAIN for an unknown domid
     */
    public boolean silenceNextRequest(int domid) {
        synchronized (this) {
            Dom d = require(domid);
            if (d.state != DomainState.RUNNING && d.state != DomainState.PAUSED) {
                return false;
            }
            d.silenced = true;
            return true;
        }
    }

    // ------------------------------------------------------------------ time

    /** Runs every scripted action that is due on the host clock, on the calling thread; returns how many ran. */
    public int runDue() {
        int ran = 0;
        while (true) {
            Scheduled s;
            synchronized (this) {
                s = schedule.peek();
                if (s == null || s.due - clock.getAsLong() > 0) {
                    return ran;
                }
                schedule.poll();
            }
            runAction(s);
            ran++;
        }
    }

    /** Scripted actions not yet run. */
    public synchronized int pendingActions() {
        return schedule.size();
    }

    /** The due time (host nanos) of the earliest scripted action, or {@link Long#MAX_VALUE}. */
    public synchronized long nextDue() {
        Scheduled s = schedule.peek();
        return s == null ? Long.MAX_VALUE : s.due;
    }

    /** Starts the host's own thread, which runs scripted actions when due on the host clock (real time). */
    public synchronized void startClockThread() {
        ensureOpen();
        if (clockThread != null) {
            return;
        }
        clockThread = new Thread(this::clockLoop, "sim-host-clock");
        clockThread.setDaemon(true);
        clockThread.start();
    }

    /** Stops the clock thread and closes nothing else (connections belong to their clients). Idempotent. */
    @Override
    public void close() {
        Thread t;
        synchronized (this) {
            closed = true;
            schedule.clear();
            t = clockThread;
        }
        if (t != null) {
            LockSupport.unpark(t);
        }
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private void clockLoop() {
        while (true) {
            Scheduled s;
            long wait;
            synchronized (this) {
                if (closed) {
                    return;
                }
                s = schedule.peek();
                wait = s == null ? Long.MAX_VALUE : s.due - clock.getAsLong();
                if (wait <= 0) {
                    schedule.poll();
                }
            }
            if (wait <= 0) {
                runAction(s);
            } else {
                // parkNanos, not Object.wait: wait(ms, ns) rounds up to whole milliseconds, and a guest that
                // answers a millisecond late never races the toolstack's timeout. scheduleLocked unparks.
                LockSupport.parkNanos(this, Math.min(wait, 1_000 * NANOS_PER_MS));
                if (Thread.interrupted()) {
                    return;
                }
            }
        }
    }

    private void runAction(Scheduled s) {
        try {
            s.action.run();
        } catch (RuntimeException e) {
            log.error("scripted action failed", e);
        }
    }

    /** Called holding this. */
    private void scheduleLocked(long delayMs, Runnable action) {
        long due = clock.getAsLong() + delayMs * NANOS_PER_MS;
        schedule.add(new Scheduled(due, ++scheduleSeq, action));
        if (clockThread != null && schedule.peek().seq == scheduleSeq) {
            LockSupport.unpark(clockThread); // a new earliest action
        }
    }

    // ------------------------------------------------------------------ guests and backends

    /** The store's listener: guests see control/shutdown, the backend sees device state requests. */
    private void onStoreChange(String path, String value) {
        if (value == null) {
            return;
        }
        if (path.startsWith("/local/domain/") && path.endsWith("/control/shutdown")) {
            int domid = parseInt(path.substring("/local/domain/".length(), path.length() - "/control/shutdown".length()));
            if (domid > 0) {
                guestSeesShutdownRequest(domid, value);
            }
        } else if (path.startsWith(BACKEND_PREFIX) && path.endsWith("/state")) {
            String[] parts = path.substring(BACKEND_PREFIX.length()).split("/");
            if (parts.length == 3) {
                backendSeesState(parseInt(parts[0]), path, value);
            }
        }
    }

    private void guestSeesShutdownRequest(int domid, String request) {
        ShutdownReason reason = switch (request) {
            case "poweroff", "halt" -> ShutdownReason.POWEROFF;
            case "reboot" -> ShutdownReason.REBOOT;
            default -> null;
        };
        if (reason == null) {
            return;
        }
        synchronized (this) {
            Dom d = domains.get(domid);
            if (d == null || d.state != DomainState.RUNNING && d.state != DomainState.PAUSED) {
                return;
            }
            long delay = reason == ShutdownReason.REBOOT ? d.script.rebootAnswerMs() : d.script.shutdownAnswerMs();
            if (d.silenced) {
                d.silenced = false;
                return; // told to hang this once
            }
            if (delay == GuestScript.NEVER) {
                return; // this guest ignores the request
            }
            d.state = d.state == DomainState.RUNNING ? DomainState.SHUTTING_DOWN : d.state;
            int life = d.life;
            scheduleLocked(delay, () -> guestShutsDown(domid, life, reason));
        }
    }

    private void guestShutsDown(int domid, int life, ShutdownReason reason) {
        synchronized (this) {
            Dom d = domains.get(domid);
            if (d == null || d.life != life || d.state == DomainState.DYING || d.state == DomainState.SHUTDOWN
                    || d.state == DomainState.CRASHED) {
                return;
            }
            d.state = DomainState.SHUTDOWN;
            d.reason = reason;
        }
        store.fireSpecial(RELEASE_DOMAIN);
    }

    private boolean crash(int domid, int life) {
        synchronized (this) {
            Dom d = domains.get(domid);
            if (d == null || d.life != life || d.state == DomainState.DYING || d.state == DomainState.SHUTDOWN
                    || d.state == DomainState.CRASHED) {
                return false;
            }
            d.state = DomainState.CRASHED;
            d.reason = ShutdownReason.CRASH;
        }
        store.fireSpecial(RELEASE_DOMAIN);
        return true;
    }

    private void release(int domid) {
        synchronized (this) {
            Dom d = domains.remove(domid);
            if (d == null) {
                return;
            }
            byName.remove(d.name, domid);
            domids.release(domid);
        }
        store.rm("/local/domain/" + domid);
        store.fireSpecial(RELEASE_DOMAIN);
    }

    private void backendSeesState(int domid, String statePath, String value) {
        String answer = switch (value) {
            case "1" -> "4";
            case "5" -> "6";
            default -> null;
        };
        if (answer == null) {
            return;
        }
        synchronized (this) {
            Dom d = domains.get(domid);
            if (d == null || d.script.backendAnswerMs() == GuestScript.NEVER) {
                return;
            }
            scheduleLocked(d.script.backendAnswerMs(), () -> {
                // Answer only if the request is still the one standing (the toolstack may have given up).
                if (value.equals(store.read(statePath))) {
                    store.write(statePath, answer);
                }
            });
        }
    }

    // ------------------------------------------------------------------ helpers

    private Dom require(int domid) {
        ensureOpen();
        Dom d = domains.get(domid);
        if (d == null) {
            throw new XenException(XenException.Kind.NO_SUCH_DOMAIN, "no domain with id " + domid);
        }
        return d;
    }

    private static void requireState(Dom d, String what, DomainState... allowed) {
        for (DomainState s : allowed) {
            if (d.state == s) {
                return;
            }
        }
        throw new XenException(XenException.Kind.WRONG_STATE, what + ": domain " + d.domid + " (" + d.name
                + ") is " + d.state);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("the simulated host is closed");
        }
    }

    private static int parseInt(String s) {
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
