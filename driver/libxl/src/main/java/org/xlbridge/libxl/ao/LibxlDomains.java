package org.xlbridge.libxl.ao;

import com.sun.jna.LastErrorException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.LibxlException;
import org.xlbridge.libxl.PollRequest;
import org.xlbridge.libxl.xs.DevStateWait;
import org.xlbridge.libxl.xs.XsWait;
import org.xlbridge.libxl.xs.XsWatch;
import org.xlbridge.libxl.xs.XsWatchCallback;
import org.xlbridge.libxl.xs.XsWatcher;
import org.xlbridge.posix.PollFds;
import org.xlbridge.posix.Posix;
import org.xlbridge.xen.DomainInfo;
import org.xlbridge.xen.DomainState;
import org.xlbridge.xen.ShutdownReason;
import org.xlbridge.xen.SimHost;
import org.xlbridge.xen.XenException;
import org.xlbridge.xen.XsConnection;

/**
 * libxl's domain operations over a {@link SimHost}, as asynchronous operations ("aos") on the event core: the Java
 * form of {@code libxl_domain_create_new}, {@code libxl_domain_shutdown}, {@code _reboot}, {@code _destroy},
 * {@code _pause}, {@code _unpause}, {@code libxl_device_disk_add} / {@code _remove}, {@code libxl_ao_abort} and
 * {@code libxl_evenable_domain_death}.
 *
 * <p>Every operation takes an {@link AoHow} and returns its {@link Ao}. An operation that waits for the guest or a
 * backend does it the way libxl does: a xenstore watch and a timeout ({@link XsWait}, {@link DevStateWait}); the
 * first to fire completes it and the other is deregistered. A bad request (unknown domid, wrong state, duplicate
 * name, ...) throws {@link LibxlException} with libxl's error code from the initiating call and leaves nothing
 * behind (libxl's {@code AO_CREATE_FAIL}: no callback). Otherwise the operation completes exactly once, with 0,
 * {@code TIMEDOUT}, {@code ABORTED}, {@code FAIL}, {@code DOMAIN_DESTROYED}..., and nothing of it runs afterwards;
 * {@link #stats()} counts any breach of that (which only the unsafe {@code LEGACY_DEREGISTER} protocol produces).
 *
 * <p>Timeouts are libxl's: destroy waits {@value #DESTROY_TIMEOUT_MS} ms for the domain to be released
 * ({@code LIBXL_DESTROY_TIMEOUT}), a disk detach as long; a disk attach waits {@value #HOTPLUG_TIMEOUT_MS} ms for the
 * backend ({@code LIBXL_HOTPLUG_TIMEOUT}); a slow pause {@value #INIT_TIMEOUT_MS} ms ({@code LIBXL_INIT_TIMEOUT});
 * shutdown and reboot take the caller's timeout.
 *
 * <p>Where this model differs from libxl: completion callbacks, progress reports and events run with the ctx lock
 * held, on the thread that completed the operation (libxl queues them on the egc and runs them just after releasing
 * the lock). They may call into this class again (the lock is reentrant) but must not start a synchronous
 * operation. Reboot restarts the domain in place ({@link SimHost#restart}) instead of destroying and re-creating it.
 *
 * <p>Locking: every mutable field here and in {@link Ao} and {@link DomainDeathWatch} is guarded by the ctx lock
 * ({@link LibxlContext#withLock}). Lock order: ctx lock, then the host's, then the store's; the host never calls
 * back. A synchronous caller waits on its {@link Ao}'s monitor with no ctx lock held.
 */
public final class LibxlDomains implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LibxlDomains.class);

    /** {@code LIBXL_DESTROY_TIMEOUT} (10 s). */
    public static final long DESTROY_TIMEOUT_MS = 10_000;
    /** {@code LIBXL_HOTPLUG_TIMEOUT} (40 s). */
    public static final long HOTPLUG_TIMEOUT_MS = 40_000;
    /** {@code LIBXL_INIT_TIMEOUT} (10 s). */
    public static final long INIT_TIMEOUT_MS = 10_000;

    private final LibxlContext ctx;
    private final SimHost host;
    private final XsConnection conn;
    private final XsWatcher watcher;
    private final LibxlEventHooks eventHooks;

    /** Guarded by the ctx lock. */
    private final Set<Ao> inProgress = new LinkedHashSet<>();
    /** Operations in progress per domain. Guarded by the ctx lock. */
    private final Map<Integer, Set<Ao>> byDomain = new HashMap<>();
    /** Guarded by the ctx lock. */
    private final List<DomainDeathWatch> deathWatches = new ArrayList<>();
    /** The one @releaseDomain watch behind every death watch, or null. Guarded by the ctx lock. */
    private XsWatch deathXsWatch;
    /** Guarded by the ctx lock. */
    private boolean closed;
    // Counters, guarded by the ctx lock.
    private long nextAoId;
    private long started;
    private long completedCount;
    private long abortedCount;
    private long timedOutCount;
    private long doubleCompletions;
    private long lateCallbacks;
    private long earlyTimeouts;
    private long eventsReported;

    /**
     * Domain operations for {@code ctx} on {@code host}, with events to {@code eventHooks}. Opens a xenstore
     * connection of its own; {@link #close()} closes it.
     */
    public LibxlDomains(LibxlContext ctx, SimHost host, LibxlEventHooks eventHooks) {
        if (ctx == null || host == null || eventHooks == null) {
            throw new IllegalArgumentException("ctx, host and event hooks must not be null");
        }
        this.ctx = ctx;
        this.host = host;
        this.eventHooks = eventHooks;
        this.conn = host.store().connect("libxl-" + System.identityHashCode(this));
        this.watcher = new XsWatcher(ctx, conn);
    }

    /** The ctx. */
    public LibxlContext context() {
        return ctx;
    }

    /** The host. */
    public SimHost host() {
        return host;
    }

    /** The xenstore watch machinery (for diagnostics and tests). */
    public XsWatcher watcher() {
        return watcher;
    }

    /** {@code libxl_domain_info}: the domain, or empty. */
    public Optional<DomainInfo> domainInfo(int domid) {
        return host.domainInfo(domid);
    }

    /** A consistent snapshot of the counters. */
    public DomainsStats stats() {
        return ctx.withLock(() -> new DomainsStats(inProgress.size(), started, completedCount, abortedCount,
                timedOutCount, doubleCompletions, lateCallbacks, earlyTimeouts, watcher.registeredWatches(),
                watcher.isFdWatched(), deathWatches.size(), eventsReported));
    }

    /** The operations in progress, oldest first. */
    public List<Ao> inProgress() {
        return ctx.withLock(() -> new ArrayList<>(inProgress));
    }

    // ================================================================== operations

    /**
     * Creates and starts a domain ({@code libxl_domain_create_new}): the hypervisor makes it paused, its xenstore
     * entries are written (progress {@code "domain-built"}), each disk is attached and its backend waited for
     * (progress {@code "devices-ready"}), then it is unpaused (progress {@code "running"}) and the operation
     * completes with 0. If a device fails or the operation is aborted, the half-made domain is destroyed and the
     * operation completes with the error.
     *
     * @throws LibxlException INVAL for a bad config or a name already in use
     */
    public Ao create(DomainConfig cfg, AoHow how) {
        checkHow(how);
        checkConfig(cfg);
        Ao ao = ctx.withLock(() -> {
            Optional<DomainInfo> clash = host.findByName(cfg.name());
            if (clash.isPresent()) {
                throw new LibxlException(LibxlError.INVAL, "domain name '" + cfg.name() + "' is already used by domain "
                        + clash.get().domid() + " (" + clash.get().state() + ")");
            }
            Ao a = begin(OpKind.CREATE, -1, how);
            int domid = -1;
            try {
                domid = host.createDomain(cfg.name(), cfg.uuid(), cfg.memoryKb(), cfg.vcpus(), cfg.script());
                String dom = domPath(domid);
                conn.write(dom + "/name", cfg.name());
                conn.write(dom + "/domid", Integer.toString(domid));
                conn.write(dom + "/vm", "/vm/" + cfg.uuid());
                conn.write(dom + "/memory/target", Long.toString(cfg.memoryKb()));
                conn.write(dom + "/cpu/count", Integer.toString(cfg.vcpus()));
            } catch (XenException e) {
                abandon(a);
                if (domid > 0) {
                    try {
                        host.destroy(domid);
                    } catch (XenException ignored) {
                        // already gone
                    }
                }
                throw translate("create " + cfg.name(), e);
            }
            a.domid = domid;
            byDomain.computeIfAbsent(domid, k -> new LinkedHashSet<>()).add(a);
            new CreateOp(a, cfg).start();
            return a;
        });
        return finish(ao);
    }

    /**
     * Asks the guest to power off ({@code control/shutdown = poweroff}) and waits up to {@code timeoutMs} for it to
     * shut down (watching {@code @releaseDomain}). Completes with 0 when it has shut down (for any reason),
     * TIMEDOUT if it has not by then, DOMAIN_DESTROYED if it went away meanwhile.
     *
     * @throws LibxlException DOMAIN_NOTFOUND for an unknown domid; INVAL if the domain is not running (or paused) or
     *                        {@code timeoutMs < 0}
     */
    public Ao shutdown(int domid, long timeoutMs, AoHow how) {
        return shutdownOrReboot(OpKind.SHUTDOWN, domid, timeoutMs, how);
    }

    /**
     * Asks the guest to reboot ({@code control/shutdown = reboot}), waits up to {@code timeoutMs} for it to shut down
     * for reboot, then starts it again. Completes with 0 when it runs again, TIMEDOUT, FAIL if it shut down for
     * another reason (crash, poweroff), or DOMAIN_DESTROYED.
     *
     * @throws LibxlException as {@link #shutdown}
     */
    public Ao reboot(int domid, long timeoutMs, AoHow how) {
        return shutdownOrReboot(OpKind.REBOOT, domid, timeoutMs, how);
    }

    /**
     * Destroys a domain ({@code libxl_domain_destroy}): aborts every operation in progress on it (they complete with
     * ABORTED), tells the hypervisor, and waits up to {@link #DESTROY_TIMEOUT_MS} for it to be released. Completes
     * with 0 when it is gone, TIMEDOUT if it stays dying.
     *
     * @throws LibxlException DOMAIN_NOTFOUND for an unknown domid
     */
    public Ao destroy(int domid, AoHow how) {
        checkHow(how);
        Ao ao = ctx.withLock(() -> {
            requireDomain(domid, "destroy");
            Ao a = begin(OpKind.DESTROY, domid, how);
            for (Ao other : new ArrayList<>(byDomain.getOrDefault(domid, Set.of()))) {
                if (other != a && other.kind() != OpKind.DESTROY) {
                    abortLocked(other);
                }
            }
            index(a);
            try {
                host.destroy(domid);
            } catch (XenException e) {
                abandon(a);
                throw new LibxlException(LibxlError.DOMAIN_NOTFOUND, "destroy: " + e.getMessage(), e);
            }
            new WaitReleaseOp(a).start();
            return a;
        });
        return finish(ao);
    }

    /**
     * Pauses a running domain ({@code libxl_domain_pause}). Completes at once, or, for a guest that pauses slowly,
     * when the host reports it paused (up to {@link #INIT_TIMEOUT_MS}).
     *
     * @throws LibxlException DOMAIN_NOTFOUND; INVAL if the domain is not running
     */
    public Ao pause(int domid, AoHow how) {
        checkHow(how);
        Ao ao = ctx.withLock(() -> {
            DomainInfo info = requireDomain(domid, "pause");
            requireState(info, "pause", DomainState.RUNNING);
            Ao a = begin(OpKind.PAUSE, domid, how);
            boolean pausedNow;
            try {
                pausedNow = host.pause(domid);
            } catch (XenException e) {
                abandon(a);
                throw translate("pause", e);
            }
            index(a);
            if (pausedNow) {
                complete(a, 0);
            } else {
                new WaitPausedOp(a).start();
            }
            return a;
        });
        return finish(ao);
    }

    /**
     * Unpauses a paused domain ({@code libxl_domain_unpause}); completes at once.
     *
     * @throws LibxlException DOMAIN_NOTFOUND; INVAL if the domain is not paused
     */
    public Ao unpause(int domid, AoHow how) {
        checkHow(how);
        Ao ao = ctx.withLock(() -> {
            DomainInfo info = requireDomain(domid, "unpause");
            requireState(info, "unpause", DomainState.PAUSED);
            Ao a = begin(OpKind.UNPAUSE, domid, how);
            try {
                host.unpause(domid);
            } catch (XenException e) {
                abandon(a);
                throw translate("unpause", e);
            }
            index(a);
            complete(a, 0);
            return a;
        });
        return finish(ao);
    }

    /**
     * Attaches a disk ({@code libxl_device_disk_add}): writes the backend and frontend entries and waits up to
     * {@link #HOTPLUG_TIMEOUT_MS} for the backend to reach Connected. On timeout or abort the entries are removed.
     *
     * @throws LibxlException DOMAIN_NOTFOUND; INVAL if the domain is dying or shut down; DEVICE_EXISTS if the devid
     *                        is in use
     */
    public Ao diskAttach(int domid, DiskConfig disk, AoHow how) {
        checkHow(how);
        if (disk == null) {
            throw new IllegalArgumentException("disk must not be null");
        }
        Ao ao = ctx.withLock(() -> {
            DomainInfo info = requireDomain(domid, "disk attach");
            requireState(info, "disk attach", DomainState.RUNNING, DomainState.PAUSED, DomainState.SHUTTING_DOWN);
            if (xsRead(backendPath(domid, disk.devid()), "disk attach") != null) {
                throw new LibxlException(LibxlError.DEVICE_EXISTS, "disk attach: domain " + domid
                        + " already has a device " + disk.devid());
            }
            Ao a = begin(OpKind.DISK_ATTACH, domid, how);
            index(a);
            new DiskAttachOp(a, disk, null).start();
            return a;
        });
        return finish(ao);
    }

    /**
     * Detaches a disk ({@code libxl_device_disk_remove}): sets the backend to Closing and waits up to
     * {@link #DESTROY_TIMEOUT_MS} for Closed, then removes the entries (also on timeout, as a forced removal, the
     * operation then completing with TIMEDOUT).
     *
     * @throws LibxlException DOMAIN_NOTFOUND; NOTFOUND if the domain has no such device
     */
    public Ao diskDetach(int domid, int devid, AoHow how) {
        checkHow(how);
        Ao ao = ctx.withLock(() -> {
            requireDomain(domid, "disk detach");
            if (xsRead(backendPath(domid, devid), "disk detach") == null) {
                throw new LibxlException(LibxlError.NOTFOUND, "disk detach: domain " + domid + " has no device "
                        + devid);
            }
            Ao a = begin(OpKind.DISK_DETACH, domid, how);
            index(a);
            new DiskDetachOp(a, devid).start();
            return a;
        });
        return finish(ao);
    }

    /**
     * Asks an operation in progress to stop ({@code libxl_ao_abort}); it completes with ABORTED, before this returns
     * for every operation of this model.
     *
     * @return 0, or ABORTED's code if an abort was already asked for
     * @throws LibxlException NOTFOUND if the operation is not in progress (already completed, or not ours)
     */
    public int abort(Ao ao) {
        if (ao == null) {
            throw new IllegalArgumentException("ao must not be null");
        }
        return ctx.withLock(() -> {
            if (!inProgress.contains(ao)) {
                throw new LibxlException(LibxlError.NOTFOUND, "abort: " + ao + " is not in progress"
                        + (ao.isComplete() ? " (it already completed)" : ""));
            }
            return abortLocked(ao);
        });
    }

    /**
     * Enables DOMAIN_SHUTDOWN and DOMAIN_DEATH events for a domain ({@code libxl_evenable_domain_death}), through
     * one {@code @releaseDomain} watch shared by every death watch, as libxl does.
     *
     * @throws LibxlException DOMAIN_NOTFOUND for an unknown domid; FAIL if xenstore is lost
     */
    public DomainDeathWatch evenableDomainDeath(int domid) {
        return ctx.withLock(() -> {
            ensureOpen();
            DomainInfo info = requireDomain(domid, "evenable_domain_death");
            DomainDeathWatch dw = new DomainDeathWatch(this, domid, info.uuid());
            if (deathXsWatch == null) {
                XsWatch w = watcher.newWatch();
                w.register(SimHost.RELEASE_DOMAIN, new XsWatchCallback() {
                    @Override
                    public void onWatch(XsWatch watch, String watchPath, String eventPath) {
                        checkDeaths();
                    }

                    @Override
                    public void onWatchFailed(XsWatch watch, LibxlError error, String message) {
                        log.error("domain death watches stop: {}", message);
                        deathXsWatch = null;
                        for (DomainDeathWatch d : deathWatches) {
                            d.enabled = false;
                        }
                        deathWatches.clear();
                    }
                });
                deathXsWatch = w;
            }
            deathWatches.add(dw);
            return dw;
        });
    }

    /**
     * Closes: aborts every operation in progress, disables every death watch, deregisters the store's fd and closes
     * the xenstore connection. The ctx stays open (it is the caller's). Idempotent.
     */
    @Override
    public void close() {
        ctx.withLock(() -> {
            if (closed) {
                return;
            }
            for (Ao a : new ArrayList<>(inProgress)) {
                abortLocked(a);
            }
            for (DomainDeathWatch d : new ArrayList<>(deathWatches)) {
                disable(d);
            }
            closed = true;
        });
        conn.close();
    }

    // ================================================================== the operations' bodies

    /** Shutdown and reboot: request, then wait for the guest. */
    private Ao shutdownOrReboot(OpKind kind, int domid, long timeoutMs, AoHow how) {
        checkHow(how);
        if (timeoutMs < 0) {
            throw new LibxlException(LibxlError.INVAL, kind + ": timeout must not be negative: " + timeoutMs);
        }
        String what = kind == OpKind.REBOOT ? "reboot" : "shutdown";
        Ao ao = ctx.withLock(() -> {
            DomainInfo info = requireDomain(domid, what);
            // As libxl: the request is written for a paused guest too (it answers when it runs).
            requireState(info, what, DomainState.RUNNING, DomainState.PAUSED);
            Ao a = begin(kind, domid, how);
            index(a);
            try {
                conn.write(domPath(domid) + "/control/shutdown", kind == OpKind.REBOOT ? "reboot" : "poweroff");
            } catch (XenException e) {
                abandon(a);
                throw translate(what, e);
            }
            new WaitShutdownOp(a, timeoutMs).start();
            return a;
        });
        return finish(ao);
    }

    /** An operation that waits on @releaseDomain for its domain to reach a state. */
    private abstract class ReleaseWaitOp {
        final Ao ao;
        final XsWait wait = new XsWait(watcher);
        final String what;
        final long timeoutMs;

        ReleaseWaitOp(Ao ao, String what, long timeoutMs) {
            this.ao = ao;
            this.what = what;
            this.timeoutMs = timeoutMs;
        }

        void start() {
            ao.abortables.add(() -> {
                wait.stop();
                complete(ao, LibxlError.ABORTED.code());
            });
            try {
                wait.start(what, SimHost.RELEASE_DOMAIN, timeoutMs, this::onWait);
            } catch (LibxlException e) {
                // Could not even start waiting (xenstore lost, hook refused): the operation fails now.
                complete(ao, e.error().code());
            }
        }

        private void onWait(XsWait w, int rc, String data) {
            if (!live(ao, what)) {
                return;
            }
            if (rc != 0) {
                if (rc == LibxlError.TIMEDOUT.code() && w.firedEarly()) {
                    earlyTimeouts++;
                    log.error("{} failed by a timeout that fired before its deadline (stale timeout)", ao);
                }
                complete(ao, rc);
                return;
            }
            Optional<DomainInfo> info = host.domainInfo(ao.domid);
            int result = check(info);
            if (result != Integer.MIN_VALUE) {
                wait.stop();
                complete(ao, result);
            }
        }

        /** The result for the domain as it is now, or Integer.MIN_VALUE to keep waiting. */
        abstract int check(Optional<DomainInfo> info);
    }

    private final class WaitShutdownOp extends ReleaseWaitOp {
        WaitShutdownOp(Ao ao, long timeoutMs) {
            super(ao, (ao.kind() == OpKind.REBOOT ? "reboot" : "shutdown") + " of domain " + ao.domid, timeoutMs);
        }

        @Override
        int check(Optional<DomainInfo> info) {
            if (info.isEmpty() || info.get().state() == DomainState.DYING) {
                return LibxlError.DOMAIN_DESTROYED.code();
            }
            DomainState s = info.get().state();
            if (s != DomainState.SHUTDOWN && s != DomainState.CRASHED) {
                return Integer.MIN_VALUE;
            }
            if (ao.kind() == OpKind.SHUTDOWN) {
                return 0;
            }
            if (info.get().shutdownReason() != ShutdownReason.REBOOT) {
                log.warn("{}: the guest shut down with reason {} instead of rebooting", ao,
                        info.get().shutdownReason());
                return LibxlError.FAIL.code();
            }
            try {
                host.restart(ao.domid);
            } catch (XenException e) {
                log.warn("{}: restart failed: {}", ao, e.getMessage());
                return LibxlError.FAIL.code();
            }
            // A new life (libxl would have a new domain): its next shutdown or crash is news for the death
            // watches, even if no @releaseDomain let them see it running again.
            for (DomainDeathWatch dw : deathWatches) {
                if (dw.domid == ao.domid) {
                    dw.shutdownReported = false;
                }
            }
            return 0;
        }
    }

    private final class WaitReleaseOp extends ReleaseWaitOp {
        WaitReleaseOp(Ao ao) {
            super(ao, "release of destroyed domain " + ao.domid, DESTROY_TIMEOUT_MS);
        }

        @Override
        int check(Optional<DomainInfo> info) {
            if (info.isPresent()) {
                return Integer.MIN_VALUE;
            }
            try {
                conn.rm(domPath(ao.domid)); // usually gone already: the host cleans up on release
                // libxl's destroy also removes the domain's device backends; left behind, they would grow the
                // store with every domain destroyed with a disk attached.
                conn.rm(BACKEND_VBD + ao.domid);
            } catch (XenException e) {
                log.debug("{}: cleaning xenstore: {}", ao, e.getMessage());
            }
            return 0;
        }
    }

    private final class WaitPausedOp extends ReleaseWaitOp {
        WaitPausedOp(Ao ao) {
            super(ao, "pause of domain " + ao.domid, INIT_TIMEOUT_MS);
        }

        @Override
        int check(Optional<DomainInfo> info) {
            if (info.isEmpty() || info.get().state() == DomainState.DYING) {
                return LibxlError.DOMAIN_DESTROYED.code();
            }
            return switch (info.get().state()) {
                case PAUSED -> 0;
                case RUNNING -> Integer.MIN_VALUE;
                default -> LibxlError.FAIL.code();
            };
        }
    }

    /** Disk attach; as part of create, {@code then} runs instead of completing the ao on success. */
    private final class DiskAttachOp {
        final Ao ao;
        final DiskConfig disk;
        final java.util.function.IntConsumer then;
        final DevStateWait ds = new DevStateWait(watcher);
        final Runnable abortable;

        DiskAttachOp(Ao ao, DiskConfig disk, java.util.function.IntConsumer then) {
            this.ao = ao;
            this.disk = disk;
            this.then = then;
            this.abortable = () -> {
                ds.cancel();
                removeDisk(ao.domid, disk.devid());
                finish(LibxlError.ABORTED.code());
            };
        }

        void start() {
            ao.abortables.add(abortable);
            String be = backendPath(ao.domid, disk.devid());
            String fe = domPath(ao.domid) + "/device/vbd/" + disk.devid();
            try {
                conn.write(be + "/params", disk.target());
                conn.write(be + "/frontend", fe);
                conn.write(be + "/frontend-id", Integer.toString(ao.domid));
                conn.write(fe + "/backend", be);
                conn.write(fe + "/virtual-device", disk.vdev());
                conn.write(fe + "/state", "1");
                ds.start(be + "/state", DevStateWait.XENBUS_CONNECTED, HOTPLUG_TIMEOUT_MS, this::onState);
                conn.write(be + "/state", "1");
            } catch (XenException | LibxlException e) {
                ds.cancel();
                removeDisk(ao.domid, disk.devid());
                finish(e instanceof LibxlException le ? le.error().code() : LibxlError.FAIL.code());
            }
        }

        private void onState(DevStateWait w, int rc) {
            if (!live(ao, "disk attach")) {
                return;
            }
            if (rc == LibxlError.TIMEDOUT.code() && w.xswait().firedEarly()) {
                earlyTimeouts++;
                log.error("{} failed by a timeout that fired before its deadline (stale timeout)", ao);
            }
            if (rc != 0) {
                removeDisk(ao.domid, disk.devid());
            } else {
                conn.write(domPath(ao.domid) + "/device/vbd/" + disk.devid() + "/state", "4");
            }
            finish(rc);
        }

        private void finish(int rc) {
            ao.abortables.remove(abortable);
            if (then != null) {
                then.accept(rc);
            } else {
                complete(ao, rc);
            }
        }
    }

    private final class DiskDetachOp {
        final Ao ao;
        final int devid;
        final DevStateWait ds = new DevStateWait(watcher);

        DiskDetachOp(Ao ao, int devid) {
            this.ao = ao;
            this.devid = devid;
        }

        void start() {
            ao.abortables.add(() -> {
                ds.cancel();
                complete(ao, LibxlError.ABORTED.code());
            });
            String be = backendPath(ao.domid, devid);
            try {
                ds.start(be + "/state", DevStateWait.XENBUS_CLOSED, DESTROY_TIMEOUT_MS, this::onState);
                conn.write(be + "/state", "5");
            } catch (XenException | LibxlException e) {
                ds.cancel();
                complete(ao, e instanceof LibxlException le ? le.error().code() : LibxlError.FAIL.code());
            }
        }

        private void onState(DevStateWait w, int rc) {
            if (!live(ao, "disk detach")) {
                return;
            }
            if (rc == LibxlError.TIMEDOUT.code() && w.xswait().firedEarly()) {
                earlyTimeouts++;
            }
            removeDisk(ao.domid, devid); // on timeout too: libxl then forces the removal
            complete(ao, rc);
        }
    }

    private final class CreateOp {
        final Ao ao;
        final DomainConfig cfg;
        final Runnable selfAbort = () -> fail(LibxlError.ABORTED.code());
        int nextDisk;

        CreateOp(Ao ao, DomainConfig cfg) {
            this.ao = ao;
            this.cfg = cfg;
        }

        void start() {
            ao.abortables.add(selfAbort);
            progress(ao, "domain-built");
            nextDevice();
        }

        private void nextDevice() {
            if (nextDisk < cfg.disks().size()) {
                DiskConfig d = cfg.disks().get(nextDisk++);
                new DiskAttachOp(ao, d, rc -> {
                    if (!ao.isComplete()) {
                        if (rc == 0) {
                            nextDevice();
                        } else {
                            fail(rc);
                        }
                    }
                }).start();
                return;
            }
            progress(ao, "devices-ready");
            try {
                host.unpause(ao.domid);
            } catch (XenException e) {
                fail(LibxlError.FAIL.code());
                return;
            }
            progress(ao, "running");
            complete(ao, 0);
        }

        private void fail(int rc) {
            // Run what is still abortable (a device wait), then get rid of the half-made domain.
            List<Runnable> others = new ArrayList<>(ao.abortables);
            others.remove(selfAbort);
            ao.abortables.removeAll(others);
            for (Runnable r : others) {
                r.run();
            }
            if (ao.isComplete()) {
                return;
            }
            try {
                host.destroy(ao.domid);
            } catch (XenException e) {
                log.debug("{}: destroying the half-made domain: {}", ao, e.getMessage());
            }
            complete(ao, rc);
        }
    }

    // ================================================================== ao machinery

    /** libxl's {@code ao_create}. Ctx lock held. */
    private Ao begin(OpKind kind, int domid, AoHow how) {
        if (how == null) {
            throw new IllegalArgumentException("ao how must not be null (use AoHow.synchronous())");
        }
        ensureOpen();
        Ao a = new Ao(this, ++nextAoId, kind, domid, how);
        inProgress.add(a);
        started++;
        return a;
    }

    /** libxl's {@code ao_create_fail}: the initiator failed; the ao never existed for the caller. */
    private void abandon(Ao a) {
        inProgress.remove(a);
        unindex(a);
        started--;
        a.abortables.clear();
        a.markComplete(LibxlError.FAIL.code(), ctx.timeSource().nanoTime());
    }

    /** libxl's {@code ao_complete}: exactly once. Ctx lock held. */
    private void complete(Ao a, int rc) {
        if (a.isComplete()) {
            doubleCompletions++;
            log.error("{} completed a second time with {} (refused)", a, LibxlError.describe(rc));
            return;
        }
        a.markComplete(rc, ctx.timeSource().nanoTime());
        a.abortables.clear();
        inProgress.remove(a);
        unindex(a);
        completedCount++;
        if (rc == LibxlError.ABORTED.code()) {
            abortedCount++;
        } else if (rc == LibxlError.TIMEDOUT.code()) {
            timedOutCount++;
        }
        log.debug("{} complete", a);
        AoCallback cb = a.how().callbackOrNull();
        if (cb != null) {
            try {
                cb.completed(a, rc);
            } catch (RuntimeException e) {
                log.error("completion callback of {} threw", a, e);
            }
        } else {
            synchronized (a) {
                a.notifyAll();
            }
            if (a.wakeFd >= 0) {
                try {
                    Posix.write(a.wakeFd, new byte[] {1, 0, 0, 0, 0, 0, 0, 0}, 8);
                } catch (LastErrorException e) {
                    log.debug("waking the synchronous waiter of {}: errno {}", a, Posix.errno(e));
                }
            }
        }
    }

    /** A callback of {@code a} is about to act: false (and counted) if {@code a} already completed. */
    private boolean live(Ao a, String what) {
        if (a.isComplete()) {
            lateCallbacks++;
            log.error("{}: a {} callback ran after completion (ignored)", a, what);
            return false;
        }
        return true;
    }

    /** libxl's {@code ao__abort}. Ctx lock held. */
    private int abortLocked(Ao a) {
        if (a.aborting) {
            return LibxlError.ABORTED.code();
        }
        a.aborting = true;
        while (!a.abortables.isEmpty() && !a.isComplete()) {
            Runnable r = a.abortables.remove(0);
            r.run();
        }
        if (!a.isComplete()) {
            // Nothing abortable was registered: the operation is about to complete on its own; make it ABORTED now.
            complete(a, LibxlError.ABORTED.code());
        }
        return 0;
    }

    private void progress(Ao a, String stage) {
        AoProgress p = a.how().progressOrNull();
        if (p != null && !a.isComplete()) {
            try {
                p.progress(a, stage);
            } catch (RuntimeException e) {
                log.error("progress callback of {} threw", a, e);
            }
        }
    }

    /** For a synchronous ao, waits for completion with no ctx lock held; returns the ao. */
    private Ao finish(Ao a) {
        if (!a.how().isSynchronous() || a.isComplete()) {
            return a;
        }
        if (ctx.hasHooks()) {
            boolean interrupted = false;
            synchronized (a) {
                while (!a.isComplete()) {
                    try {
                        a.wait();
                    } catch (InterruptedException e) {
                        interrupted = true;
                        ctx.withLock(() -> {
                            if (inProgress.contains(a)) {
                                abortLocked(a);
                            }
                        });
                    }
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            return a;
        }
        pollUntilComplete(a);
        return a;
    }

    /** A poll-only ctx: this thread runs the ctx itself until the ao completes, as libxl's synchronous calls do. */
    private void pollUntilComplete(Ao a) {
        int efd;
        try {
            efd = Posix.eventfd(0, Posix.O_NONBLOCK | Posix.O_CLOEXEC);
        } catch (LastErrorException e) {
            throw new LibxlException(LibxlError.FAIL, "cannot make a wakeup eventfd: errno " + Posix.errno(e), e);
        }
        try (PollFds fds = new PollFds(8)) {
            ctx.withLock(() -> {
                a.wakeFd = efd;
            });
            while (!a.isComplete()) {
                PollRequest req = ctx.beforePoll();
                fds.ensureCapacity(req.size() + 1);
                req.fill(fds, 0);
                fds.set(req.size(), efd, Posix.POLLIN);
                fds.poll(req.size() + 1, req.timeoutMs());
                ctx.afterPoll(req, fds, 0);
            }
        } finally {
            ctx.withLock(() -> {
                a.wakeFd = -1;
            });
            Posix.closeQuietly(efd);
        }
    }

    // ================================================================== death watches

    void disable(DomainDeathWatch dw) {
        ctx.withLock(() -> {
            if (!dw.enabled) {
                return;
            }
            dw.enabled = false;
            deathWatches.remove(dw);
            if (deathWatches.isEmpty() && deathXsWatch != null) {
                deathXsWatch.deregister();
                deathXsWatch = null;
            }
        });
    }

    /** libxl's {@code domain_death_xswatch_callback}. Ctx lock held. */
    private void checkDeaths() {
        for (DomainDeathWatch dw : new ArrayList<>(deathWatches)) {
            if (!dw.enabled || dw.deathReported) {
                continue;
            }
            Optional<DomainInfo> info = host.domainInfo(dw.domid);
            if (info.isEmpty() || info.get().state() == DomainState.DYING) {
                dw.deathReported = true;
                report(new LibxlEvent(LibxlEventType.DOMAIN_DEATH, dw.domid, dw.uuid, null));
                continue;
            }
            DomainState s = info.get().state();
            if (s == DomainState.SHUTDOWN || s == DomainState.CRASHED) {
                if (!dw.shutdownReported) {
                    dw.shutdownReported = true;
                    report(new LibxlEvent(LibxlEventType.DOMAIN_SHUTDOWN, dw.domid, dw.uuid,
                            info.get().shutdownReason()));
                }
            } else {
                dw.shutdownReported = false; // it runs again: the next shutdown is news
            }
        }
    }

    private void report(LibxlEvent ev) {
        eventsReported++;
        try {
            eventHooks.eventOccurs(ev);
        } catch (RuntimeException e) {
            log.error("event hook threw for {}", ev, e);
        }
    }

    // ================================================================== helpers

    private void index(Ao a) {
        byDomain.computeIfAbsent(a.domid, k -> new LinkedHashSet<>()).add(a);
    }

    private void unindex(Ao a) {
        Set<Ao> s = byDomain.get(a.domid);
        if (s != null) {
            s.remove(a);
            if (s.isEmpty()) {
                byDomain.remove(a.domid);
            }
        }
    }

    /**
     * Checked before the ctx lock is taken: a synchronous call from a thread that holds it (a callback) would wait
     * for events that thread itself must deliver.
     */
    private void checkHow(AoHow how) {
        if (how == null) {
            throw new IllegalArgumentException("ao how must not be null (use AoHow.synchronous())");
        }
        if (how.isSynchronous() && ctx.isLockHeldByCurrentThread()) {
            throw new IllegalStateException("a synchronous operation must not be started from inside a libxl callback"
                    + " (the ctx lock is held); use AoHow.callback");
        }
    }

    /** xs_read for an initiator: a lost connection becomes FAIL. */
    private String xsRead(String path, String what) {
        try {
            return conn.read(path);
        } catch (XenException e) {
            throw translate(what, e);
        }
    }

    private DomainInfo requireDomain(int domid, String what) {
        ensureOpen();
        return host.domainInfo(domid).orElseThrow(() -> new LibxlException(LibxlError.DOMAIN_NOTFOUND,
                what + ": no domain with id " + domid));
    }

    private static void requireState(DomainInfo info, String what, DomainState... allowed) {
        for (DomainState s : allowed) {
            if (info.state() == s) {
                return;
            }
        }
        throw new LibxlException(LibxlError.INVAL, what + ": domain " + info.domid() + " (" + info.name() + ") is "
                + info.state() + "; needs " + java.util.Arrays.toString(allowed));
    }

    private static LibxlException translate(String what, XenException e) {
        LibxlError err = switch (e.kind()) {
            case NO_SUCH_DOMAIN -> LibxlError.DOMAIN_NOTFOUND;
            case WRONG_STATE, INVALID -> LibxlError.INVAL;
            case CONNECTION_LOST, NO_FREE_DOMID -> LibxlError.FAIL;
        };
        return new LibxlException(err, what + ": " + e.getMessage(), e);
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("LibxlDomains is closed");
        }
    }

    private void removeDisk(int domid, int devid) {
        try {
            conn.rm(backendPath(domid, devid));
            conn.rm(domPath(domid) + "/device/vbd/" + devid);
        } catch (XenException e) {
            log.debug("removing disk {} of domain {}: {}", devid, domid, e.getMessage());
        }
    }

    private static void checkConfig(DomainConfig cfg) {
        if (cfg == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        if (cfg.name() == null || !cfg.name().matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new LibxlException(LibxlError.INVAL, "create: bad domain name '" + cfg.name()
                    + "' (1-64 letters, digits, '-', '_', '.')");
        }
        if (cfg.uuid() == null || cfg.script() == null) {
            throw new LibxlException(LibxlError.INVAL, "create: uuid and guest script must not be null");
        }
        if (cfg.memoryKb() <= 0 || cfg.vcpus() <= 0) {
            throw new LibxlException(LibxlError.INVAL, "create: memory and vcpus must be positive (memoryKb="
                    + cfg.memoryKb() + ", vcpus=" + cfg.vcpus() + ")");
        }
        Set<Integer> devids = new java.util.HashSet<>();
        for (DiskConfig d : cfg.disks()) {
            if (!devids.add(d.devid())) {
                throw new LibxlException(LibxlError.INVAL, "create: disk devid " + d.devid() + " given twice");
            }
        }
    }

    static String domPath(int domid) {
        return "/local/domain/" + domid;
    }

    private static final String BACKEND_VBD = "/local/domain/0/backend/vbd/";

    static String backendPath(int domid, int devid) {
        return BACKEND_VBD + domid + "/" + devid;
    }
}
