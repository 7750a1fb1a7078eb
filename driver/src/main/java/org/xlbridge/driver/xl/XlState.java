package org.xlbridge.driver.xl;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.libvirt.DomainInfo.DomainState;
import org.libvirt.Error.ErrorNumber;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.StoppedDetail;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.OsEventBridge;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.DiskDefinition;
import org.xlbridge.driver.api.DomainDefinition;
import org.xlbridge.driver.api.DomainInfo;
import org.xlbridge.driver.api.DomainXml;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.api.LifecycleAction;
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverState;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.LibxlException;
import org.xlbridge.libxl.ao.Ao;
import org.xlbridge.libxl.ao.AoHow;
import org.xlbridge.libxl.ao.DiskConfig;
import org.xlbridge.libxl.ao.DomainConfig;
import org.xlbridge.libxl.ao.DomainsStats;
import org.xlbridge.libxl.ao.LibxlDomains;
import org.xlbridge.libxl.ao.LibxlEvent;
import org.xlbridge.libxl.ao.LibxlEventType;
import org.xlbridge.xen.GuestScript;
import org.xlbridge.xen.SimHost;

/**
 * The {@code xl} driver's state, libvirt's {@code libxlDriverPrivate}: started once per runtime, it allocates
 * the libxl ctx with the {@link OsEventBridge} over the runtime's loop as its osevent hooks (registered once,
 * as libvirt's libxl driver does at start-up), and on the first connection starts the simulated host the
 * URI asks for and libxl's domain operations over it, with this state as libxl's event hooks. Each started
 * domain gets a death watch ({@code libxl_evenable_domain_death}).
 *
 * <p>How libxl's events become lifecycle events, as {@code src/libxl/libxl_domain.c} does: DOMAIN_SHUTDOWN
 * with reason poweroff or reboot is STOPPED/SHUTDOWN, with reason crash STOPPED/CRASHED, then the
 * domain's {@code on_poweroff} / {@code on_reboot} / {@code on_crash} action runs: destroy (the domain is
 * destroyed and inactive), restart (destroyed and started again: STARTED/BOOTED follows), preserve (the
 * shut-down domain is left as it is, still holding its domid, until destroyed). A reason suspend is
 * ignored. DOMAIN_DEATH of a domain the driver did not destroy is STOPPED/DESTROYED. The API's own changes
 * queue their events as libvirt's libxl driver does (DEFINED/ADDED or UPDATED, UNDEFINED/REMOVED,
 * STARTED/BOOTED, SUSPENDED/PAUSED, RESUMED/UNPAUSED, STOPPED/DESTROYED). One difference: on a restart
 * libvirt queues STARTED before the STOPPED of the shutdown that caused it; here STOPPED comes first.
 *
 * <p>Threads: libxl calls {@link #libxlEvent} and operation callbacks with its ctx lock held; they only hand
 * the work to the single "xl-events" worker thread, which takes the domain's job as an API call does
 * (libvirt starts a thread per event for the same reason). Operations that wait (create, destroy, pause,
 * disk attach/detach) are synchronous libxl aos: the caller's thread waits while the loop thread runs the
 * ctx. So every call that takes a domain's job is refused on the loop thread (from a lifecycle listener):
 * it could wait for a job whose holder waits for the loop. Queries (info, id, XML) never take the job and
 * work anywhere.
 *
 * <p>Live and persistent definitions, as libvirt's: a running domain runs (and applies the {@code on_*} actions of)
 * the definition it was started with; a define changes the persistent one, used from the next start. A restart
 * by an {@code on_*} action keeps a transient domain listed. A reboot in flight refuses conflicting state changes
 * (see {@link #requireNoReboot}).
 *
 * <p>Locking: {@link #listLock} guards the three domain maps, {@link #host}, {@link #domains},
 * {@link #hostConfig}, {@link #rng}, {@link #usedMemoryKiB} and {@link #closed}. {@link #eventOrder} orders the
 * fan-out of each event to every connection. Lock order: a domain's job, then {@link #listLock} or
 * {@link #eventOrder} (never both), then the ctx lock or a connection's event-queue lock.
 * {@link #connections} is copy-on-write.
 */
final class XlState implements DriverState {
    private static final Logger log = LoggerFactory.getLogger(XlState.class);
    private static final Duration DRAIN = Duration.ofSeconds(10);

    private final EventLoop loop;
    private final OsEventBridge bridge;
    private final LibxlContext ctx;
    private final ExecutorService eventWorker;
    private final CopyOnWriteArrayList<XlConnect> connections = new CopyOnWriteArrayList<>();
    private volatile Thread loopThread;
    /** The one-shot timer that learns the loop thread (written once, in the constructor). */
    private final int loopProbe;
    /**
     * Whether {@link #loopProbe} was removed: by its own first dispatch or by {@link #close()}, whichever
     * sets this first. Only one may remove it: a second remove after its free would, with ids that wrap,
     * remove the registration the loop handed that id to next (the wrap soak caught it so: a libxl timeout
     * of the next driver state freed before it fired).
     */
    private final AtomicBoolean loopProbeRemoved = new AtomicBoolean();
    /** Set by a checker before its workload; read under a domain's job. */
    private volatile EventJournal journal;
    /** Set by a checker before its workload; read by the API threads and by libxl's completion callbacks. */
    private volatile OperationJournal opJournal;

    private final ReentrantLock listLock = new ReentrantLock();
    /**
     * libvirt's one event queue per driver: held while one event is offered to every connection, so that all
     * connections receive the driver's events in one and the same order (I9 across connections). Taken with a
     * domain's job held, never the other way round; inside it only the connections' queue locks are taken.
     */
    private final ReentrantLock eventOrder = new ReentrantLock();
    /** Guarded by listLock. Memory (KiB) of the running domains' live definitions: the host's used memory. */
    private long usedMemoryKiB;
    private SimHost host;
    private LibxlDomains domains;
    private XlHostConfig hostConfig;
    private Random rng;
    private boolean closed;
    private final Map<String, XlDomainObj> byName = new HashMap<>();
    private final Map<UUID, XlDomainObj> byUuid = new HashMap<>();
    private final Map<Integer, XlDomainObj> byDomid = new HashMap<>();

    private final AtomicLong shutdownRequests = new AtomicLong();
    private final AtomicLong shutdownsAnswered = new AtomicLong();
    private final AtomicLong shutdownsTimedOut = new AtomicLong();
    private final AtomicLong rebootsDone = new AtomicLong();
    private final AtomicLong rebootsFailed = new AtomicLong();
    private final AtomicLong libxlEvents = new AtomicLong();
    private final AtomicLong actionsApplied = new AtomicLong();
    private final AtomicLong eventsQueued = new AtomicLong();

    XlState(DriverEnvironment env) {
        this.loop = env.loop();
        this.bridge = new OsEventBridge(loop);
        this.ctx = LibxlContext.builder().hooks(bridge).protocol(env.protocol()).loggerName("org.xlbridge.libxl.xl")
                .build();
        bridge.attach(ctx);
        this.eventWorker = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "xl-events");
            t.setDaemon(true);
            return t;
        });
        // Learn which thread runs the loop, to refuse waiting for the loop on the loop thread.
        this.loopProbe = loop.addTimeout(0, id -> {
            loopThread = Thread.currentThread();
            if (loopProbeRemoved.compareAndSet(false, true)) {
                loop.removeTimeout(id);
            }
        }, null);
        log.info("xl driver state started: ctx allocated, osevent hooks on {} ({})", loop, env.protocol());
    }

    // ================================================================== connections

    @Override
    public Connect open(URI uri) {
        XlHostConfig cfg = XlHostConfig.fromUri(uri);
        List<XlDomainObj> predefined = new ArrayList<>();
        listLock.lock();
        try {
            if (closed) {
                throw new DriverException(ErrorNumber.VIR_ERR_INVALID_CONN, "xl driver state is closed");
            }
            if (host == null) {
                hostConfig = cfg;
                rng = new Random(cfg.seed());
                host = SimHost.realTime();
                domains = new LibxlDomains(ctx, host, this::libxlEvent);
                for (int i = 1; i <= cfg.domains(); i++) {
                    DomainDefinition def = new DomainDefinition("xen", "sim-" + i,
                            UUID.nameUUIDFromBytes(("xlbridge-sim-" + cfg.seed() + "-" + i).getBytes()), 262144,
                            262144, 1, LifecycleAction.DESTROY, LifecycleAction.RESTART, LifecycleAction.DESTROY,
                            List.of());
                    XlDomainObj o = new XlDomainObj(def, cfg.nextScript(rng));
                    byName.put(o.name, o);
                    byUuid.put(o.uuid, o);
                    predefined.add(o);
                }
                log.info("simulated host started for {}: {}", uri, cfg);
            } else if (!cfg.equals(hostConfig) && uri.getRawQuery() != null) {
                throw new DriverException(ErrorNumber.VIR_ERR_INVALID_ARG, "the simulated host is already running as "
                        + hostConfig + "; open xl:///system without parameters, or with the same ones");
            }
        } finally {
            listLock.unlock();
        }
        XlConnect c = new XlConnect(this, uri.toString(), loop);
        connections.add(c);
        return c;
    }

    void connectionClosed(XlConnect c) {
        connections.remove(c);
    }

    // ================================================================== lookups

    XlDomainObj byName(String name) {
        listLock.lock();
        try {
            XlDomainObj o = byName.get(name);
            if (o == null) {
                throw noDomain("no domain with matching name '" + DomainXml.cut(name) + "'");
            }
            return o;
        } finally {
            listLock.unlock();
        }
    }

    XlDomainObj byUuid(UUID uuid) {
        listLock.lock();
        try {
            XlDomainObj o = byUuid.get(uuid);
            if (o == null) {
                throw noDomain("no domain with matching uuid '" + uuid + "'");
            }
            return o;
        } finally {
            listLock.unlock();
        }
    }

    /** The domain with that UUID now, or null. */
    XlDomainObj byUuidOrNull(UUID uuid) {
        listLock.lock();
        try {
            return byUuid.get(uuid);
        } finally {
            listLock.unlock();
        }
    }

    XlDomainObj byId(int id) {
        listLock.lock();
        try {
            XlDomainObj o = byDomid.get(id);
            if (o == null) {
                throw noDomain("no domain with matching id " + id);
            }
            return o;
        } finally {
            listLock.unlock();
        }
    }

    int[] activeIds() {
        listLock.lock();
        try {
            return byDomid.keySet().stream().mapToInt(Integer::intValue).sorted().toArray();
        } finally {
            listLock.unlock();
        }
    }

    String[] inactiveNames() {
        listLock.lock();
        try {
            List<String> out = new ArrayList<>();
            for (XlDomainObj o : byName.values()) {
                if (!byDomid.containsValue(o)) {
                    out.add(o.name);
                }
            }
            out.sort(null);
            return out.toArray(String[]::new);
        } finally {
            listLock.unlock();
        }
    }

    static DriverException noDomain(String message) {
        return new DriverException(ErrorNumber.VIR_ERR_NO_DOMAIN, "Domain not found: " + message);
    }

    // ================================================================== operations

    /** Runs {@code body} with the domain's job held; fails if the domain is gone. */
    private <T> T withJob(XlDomainObj o, Supplier<T> body) {
        checkNotLoopThread("a domain operation");
        o.job.lock();
        try {
            if (o.removed) {
                throw noDomain("domain '" + o.name + "' was undefined");
            }
            return body.get();
        } finally {
            o.publish();
            o.job.unlock();
        }
    }

    private void withJob(XlDomainObj o, Runnable body) {
        withJob(o, () -> {
            body.run();
            return null;
        });
    }

    private LibxlDomains domains() {
        listLock.lock();
        try {
            if (domains == null || closed) {
                throw new DriverException(ErrorNumber.VIR_ERR_INVALID_CONN, "xl driver has no running host");
            }
            return domains;
        } finally {
            listLock.unlock();
        }
    }

    XlDomainObj define(String xml) {
        checkNotLoopThread("define");
        DomainXml.Parsed parsed = DomainXml.parse(xml, GuestMetadata.ELEMENT); // one parse for both
        DomainDefinition def = parsed.definition();
        Map<String, String> guest = parsed.metadata();
        if (!def.type().equals("xen")) {
            throw new DriverException(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED,
                    "domain type '" + DomainXml.cut(def.type()) + "' is not supported by the xl driver (use type='xen')");
        }
        if (!def.name().matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new DriverException(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED, "domain name '"
                    + DomainXml.cut(def.name()) + "': the simulated host takes 1 to 64 letters, digits, '-', '_' or '.'");
        }
        for (DiskDefinition d : def.disks()) {
            diskConfig(d); // refuse what cannot be attached now, not at start
        }
        checkFitsHost(def);
        while (true) {
            XlDomainObj existing;
            XlDomainObj created = null;
            listLock.lock();
            try {
                existing = byName.get(def.name());
                XlDomainObj sameUuid = byUuid.get(def.uuid());
                if (existing == null && sameUuid != null) {
                    throw new DriverException(ErrorNumber.VIR_ERR_OPERATION_FAILED, "domain '" + sameUuid.name
                            + "' is already defined with uuid " + def.uuid());
                }
                if (existing != null && !existing.uuid.equals(def.uuid())) {
                    throw new DriverException(ErrorNumber.VIR_ERR_OPERATION_FAILED, "domain '" + def.name()
                            + "' already exists with uuid " + existing.uuid);
                }
                if (existing == null) {
                    GuestScript base = hostConfig == null ? GuestScript.cooperative() : hostConfig.nextScript(rng);
                    created = new XlDomainObj(def, GuestMetadata.apply(guest, base));
                }
            } finally {
                listLock.unlock();
            }
            if (created != null) {
                XlDomainObj o = created;
                o.job.lock();
                try {
                    listLock.lock();
                    try {
                        if (byName.containsKey(o.name) || byUuid.containsKey(o.uuid)) {
                            continue; // lost a race with another define of the same name: decide again
                        }
                        byName.put(o.name, o);
                        byUuid.put(o.uuid, o);
                    } finally {
                        listLock.unlock();
                    }
                    queue(o, DomainEventType.DEFINED, 0); // DefinedDetail.ADDED
                    return o;
                } finally {
                    o.job.unlock();
                }
            }
            XlDomainObj o = existing;
            boolean redefined = withJobIfPresent(o, () -> {
                // As libvirt: the new definition is the persistent one, for the next start; a running domain
                // keeps the definition it was started with (its on_* actions included) until it stops.
                o.def = def;
                o.script = GuestMetadata.apply(guest, o.script);
                o.persistent = true;
                queue(o, DomainEventType.DEFINED, 1); // DefinedDetail.UPDATED
            });
            if (redefined) {
                return o;
            }
        }
    }

    private boolean withJobIfPresent(XlDomainObj o, Runnable body) {
        o.job.lock();
        try {
            if (o.removed) {
                return false;
            }
            body.run();
            return true;
        } finally {
            o.publish();
            o.job.unlock();
        }
    }

    void create(XlDomainObj o) {
        checkNotLoopThread("create");
        withJob(o, () -> {
            if (o.isActive()) {
                throw invalidState("domain is already running");
            }
            startLocked(o);
        });
    }

    /** With the job held: starts the domain from its definition and enables its death watch. */
    private void startLocked(XlDomainObj o) {
        DomainDefinition def = o.def; // the persistent definition becomes the live one
        List<DiskConfig> disks = new ArrayList<>();
        for (DiskDefinition d : def.disks()) {
            disks.add(diskConfig(d));
        }
        DomainConfig cfg = new DomainConfig(o.name, o.uuid, def.memoryKiB(), def.vcpus(), disks, o.script);
        LibxlDomains doms = domains();
        reserveMemory(o.name, def.memoryKiB());
        boolean started = false;
        try {
            Ao ao = call("create " + o.name, () -> doms.create(cfg, AoHow.synchronous()));
            if (ao.rc() != 0) {
                throw new DriverException(ErrorNumber.VIR_ERR_INTERNAL_ERROR,
                        "libxenlight failed to create new domain '" + o.name + "': " + LibxlError.describe(ao.rc()));
            }
            int domid = ao.domid();
            o.deathWatch = call("evenable_domain_death " + o.name, () -> doms.evenableDomainDeath(domid));
            o.domid = domid;
            started = true;
        } finally {
            if (!started) {
                releaseMemory(def.memoryKiB());
            }
        }
        o.liveDef = def;
        o.liveScript = o.script;
        o.liveDisks = new ArrayList<>(def.disks());
        o.state = DomainState.VIR_DOMAIN_RUNNING;
        listLock.lock();
        try {
            byDomid.put(o.domid, o);
        } finally {
            listLock.unlock();
        }
        queue(o, DomainEventType.STARTED, 0); // StartedDetail.BOOTED
    }

    /**
     * Refuses, at define, what the simulated host can never hold: more vcpus than a Xen domain may have, or
     * more memory than the host has ({@code VIR_ERR_CONFIG_UNSUPPORTED}, as libvirt's validation of a
     * definition the hypervisor cannot run).
     */
    private void checkFitsHost(DomainDefinition def) {
        XlHostConfig cfg;
        listLock.lock();
        try {
            cfg = hostConfig;
        } finally {
            listLock.unlock();
        }
        if (cfg == null) {
            cfg = XlHostConfig.defaults();
        }
        if (def.vcpus() > cfg.maxVcpus()) {
            throw new DriverException(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED, "domain '" + DomainXml.cut(def.name())
                    + "': " + def.vcpus() + " vcpus is more than the host's limit of " + cfg.maxVcpus()
                    + " per domain");
        }
        if (def.memoryKiB() > cfg.hostMemoryMiB() * 1024) {
            throw new DriverException(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED, "domain '" + DomainXml.cut(def.name())
                    + "': " + def.memoryKiB() + " KiB of memory is more than the host has (" + cfg.hostMemoryMiB()
                    + " MiB)");
        }
    }

    /**
     * Takes {@code kib} of the host's free memory for a domain being started; none left is libvirt's libxl
     * driver's answer, {@code VIR_ERR_INTERNAL_ERROR} "libxenlight failed to get free memory".
     */
    private void reserveMemory(String name, long kib) {
        listLock.lock();
        try {
            long total = hostConfig.hostMemoryMiB() * 1024;
            if (usedMemoryKiB + kib > total) {
                throw new DriverException(ErrorNumber.VIR_ERR_INTERNAL_ERROR, "libxenlight failed to get free memory "
                        + "for domain '" + name + "': it needs " + kib + " KiB, the host has " + (total - usedMemoryKiB)
                        + " KiB free of " + total);
            }
            usedMemoryKiB += kib;
        } finally {
            listLock.unlock();
        }
    }

    private void releaseMemory(long kib) {
        listLock.lock();
        try {
            usedMemoryKiB -= kib;
        } finally {
            listLock.unlock();
        }
    }

    void shutdown(XlDomainObj o) {
        withJob(o, () -> {
            requireRunningOrPaused(o, "shutdown");
            int domid = o.domid;
            long timeout = hostConfig.shutdownTimeoutMs();
            OperationJournal oj = opJournal;
            Ao ao = call("shutdown " + o.name, () -> domains().shutdown(domid, timeout, AoHow.callback((a, rc) -> {
                if (rc == 0) {
                    shutdownsAnswered.incrementAndGet();
                } else if (rc == LibxlError.TIMEDOUT.code()) {
                    shutdownsTimedOut.incrementAndGet();
                }
                if (oj != null) {
                    oj.completed(o.name, "shutdown", a.id(), rc);
                }
            })));
            if (oj != null) {
                oj.started(o.name, "shutdown", ao.id());
            }
            shutdownRequests.incrementAndGet();
        });
    }

    void reboot(XlDomainObj o) {
        withJob(o, () -> {
            requireRunningOrPaused(o, "reboot");
            if (o.actions().onReboot() == LifecycleAction.PRESERVE) {
                throw new DriverException(ErrorNumber.VIR_ERR_NO_SUPPORT,
                        "on_reboot 'preserve' is not supported by the simulated host");
            }
            int domid = o.domid;
            o.rebootsInFlight++;
            OperationJournal oj = opJournal;
            Ao ao;
            try {
                ao = call("reboot " + o.name, () -> domains().reboot(domid, hostConfig.rebootTimeoutMs(),
                        AoHow.callback((a, rc) -> {
                            // Journaled once the driver has handled it (its events queued), or at once if the
                            // state closed and the worker takes no more work.
                            Runnable journaled = () -> {
                                if (oj != null) {
                                    oj.completed(o.name, "reboot", a.id(), rc);
                                }
                            };
                            if (!submit(() -> {
                                try {
                                    rebootCompleted(o, domid, rc);
                                } finally {
                                    journaled.run();
                                }
                            })) {
                                journaled.run();
                            }
                        })));
            } catch (DriverException e) {
                o.rebootsInFlight--;
                throw e;
            }
            if (oj != null) {
                oj.started(o.name, "reboot", ao.id());
            }
        });
    }

    /** On the event worker: the reboot operation ended. */
    private void rebootCompleted(XlDomainObj o, int domid, int rc) {
        withJobIfPresent(o, () -> {
            if (o.domid != domid || o.rebootsInFlight == 0) {
                return; // destroyed (and maybe started again) since: nothing of that life is left
            }
            o.rebootsInFlight--;
            if (rc != 0) {
                rebootsFailed.incrementAndGet();
                log.debug("reboot of {} ended with {}", o.name, LibxlError.describe(rc));
                return;
            }
            rebootsDone.incrementAndGet();
            // The guest went down for reboot and the domain runs again: libvirt's libxl driver reports it as
            // a shutdown followed by a start (it destroys and re-creates; the model restarts in place).
            if (o.actions().onReboot() == LifecycleAction.DESTROY) {
                actionsApplied.incrementAndGet();
                int id = o.domid;
                destroyLocked(o, false);
                queue(o, DomainEventType.STOPPED, StoppedDetail.SHUTDOWN.ordinal(), id);
                dropIfTransient(o);
            } else {
                queue(o, DomainEventType.STOPPED, StoppedDetail.SHUTDOWN.ordinal());
                // Running again (a paused domain too: the guest went down and booted). No suspend can come
                // between the restart and this: the domain refuses state changes while its reboot is in flight.
                o.state = DomainState.VIR_DOMAIN_RUNNING;
                queue(o, DomainEventType.STARTED, 0);
            }
        });
    }

    void destroy(XlDomainObj o) {
        checkNotLoopThread("destroy");
        withJob(o, () -> {
            if (!o.isActive()) {
                throw invalidState("domain is not running");
            }
            destroyLocked(o, true);
        });
    }

    /** With the job held: destroys the running domain; queues STOPPED/DESTROYED if {@code event}. */
    private void destroyLocked(XlDomainObj o, boolean event) {
        if (o.deathWatch != null) {
            o.deathWatch.disable(); // as libvirt: its own destroy is not news from libxl
            o.deathWatch = null;
        }
        o.rebootsInFlight = 0;
        int domid = o.domid;
        Ao ao = call("destroy " + o.name, () -> domains().destroy(domid, AoHow.synchronous()));
        if (ao.rc() != 0) {
            log.warn("destroy of {} (domid {}) ended with {}", o.name, domid, LibxlError.describe(ao.rc()));
        }
        cleanupLocked(o, DomainState.VIR_DOMAIN_SHUTOFF);
        if (event) {
            queue(o, DomainEventType.STOPPED, StoppedDetail.DESTROYED.ordinal(), domid);
            dropIfTransient(o);
        }
    }

    /**
     * With the job held: the domain is no longer running (libvirt's {@code libxlDomainCleanup}): its id and
     * memory are given back and its live definition dropped, so the persistent one applies from the next
     * start. A transient domain stays in the lists: the caller removes it with {@link #dropIfTransient} after
     * queueing its STOPPED event, or starts it again (an {@code on_*} restart keeps it, as libvirt does).
     */
    private void cleanupLocked(XlDomainObj o, DomainState state) {
        if (o.deathWatch != null) {
            o.deathWatch.disable();
            o.deathWatch = null;
        }
        listLock.lock();
        try {
            if (byDomid.remove(o.domid, o) && o.liveDef != null) {
                usedMemoryKiB -= o.liveDef.memoryKiB();
            }
        } finally {
            listLock.unlock();
        }
        o.domid = -1;
        o.rebootsInFlight = 0;
        o.liveDisks = new ArrayList<>();
        o.liveDef = null;
        o.liveScript = null;
        o.state = state;
    }

    /**
     * With the job held, after the domain's STOPPED event is queued: an inactive transient domain is gone
     * (libvirt's {@code virDomainObjListRemove}). Removing it only now keeps a define of the same name, which
     * must wait for the removal, from queueing its DEFINED before this life's STOPPED.
     */
    private void dropIfTransient(XlDomainObj o) {
        if (o.persistent || o.isActive()) {
            return;
        }
        o.removed = true;
        listLock.lock();
        try {
            byName.remove(o.name, o);
            byUuid.remove(o.uuid, o);
        } finally {
            listLock.unlock();
        }
    }

    void suspend(XlDomainObj o) {
        checkNotLoopThread("suspend");
        withJob(o, () -> {
            if (!o.isActive()) {
                throw invalidState("domain is not running");
            }
            requireNoReboot(o, "suspend");
            if (o.state == DomainState.VIR_DOMAIN_PAUSED) {
                return; // libvirt's libxl driver: suspending a paused domain changes nothing
            }
            if (o.state != DomainState.VIR_DOMAIN_RUNNING) {
                throw invalidState("domain is not running");
            }
            int domid = o.domid;
            Ao ao = call("pause " + o.name, () -> domains().pause(domid, AoHow.synchronous()));
            if (ao.rc() != 0) {
                throw new DriverException(ErrorNumber.VIR_ERR_INTERNAL_ERROR,
                        "failed to suspend domain '" + o.name + "': " + LibxlError.describe(ao.rc()));
            }
            o.state = DomainState.VIR_DOMAIN_PAUSED;
            queue(o, DomainEventType.SUSPENDED, 0); // SuspendedDetail.PAUSED
        });
    }

    void resume(XlDomainObj o) {
        checkNotLoopThread("resume");
        withJob(o, () -> {
            if (!o.isActive()) {
                throw invalidState("domain is not running");
            }
            requireNoReboot(o, "resume");
            if (o.state != DomainState.VIR_DOMAIN_PAUSED) {
                return; // libvirt's libxl driver: resuming a domain that is not paused changes nothing
            }
            int domid = o.domid;
            Ao ao = call("unpause " + o.name, () -> domains().unpause(domid, AoHow.synchronous()));
            if (ao.rc() != 0) {
                throw new DriverException(ErrorNumber.VIR_ERR_INTERNAL_ERROR,
                        "failed to resume domain '" + o.name + "': " + LibxlError.describe(ao.rc()));
            }
            o.state = DomainState.VIR_DOMAIN_RUNNING;
            queue(o, DomainEventType.RESUMED, 0); // ResumedDetail.UNPAUSED
        });
    }

    void undefine(XlDomainObj o) {
        withJob(o, () -> {
            if (!o.persistent) {
                throw new DriverException(ErrorNumber.VIR_ERR_OPERATION_INVALID, "cannot undefine transient domain");
            }
            queue(o, DomainEventType.UNDEFINED, 0); // UndefinedDetail.REMOVED
            if (o.isActive()) {
                // As libvirt: a running domain becomes transient (its persistent definition is dropped, the live
                // one is all it has) and goes when it stops; an on_* restart keeps it.
                o.persistent = false;
                o.def = o.liveDef;
                o.script = o.liveScript;
                return;
            }
            o.removed = true;
            listLock.lock();
            try {
                byName.remove(o.name);
                byUuid.remove(o.uuid);
            } finally {
                listLock.unlock();
            }
        });
    }

    void attachDisk(XlDomainObj o, String deviceXml) {
        checkNotLoopThread("attachDevice");
        DiskDefinition disk = DomainXml.parseDisk(deviceXml);
        DiskConfig cfg = diskConfig(disk);
        withJob(o, () -> {
            requireActive(o);
            for (DiskDefinition d : o.liveDisks) {
                if (d.targetDev().equals(disk.targetDev())) {
                    throw new DriverException(ErrorNumber.VIR_ERR_OPERATION_FAILED,
                            "target " + disk.targetDev() + " already exists");
                }
            }
            int domid = o.domid;
            Ao ao = call("disk attach " + o.name, () -> domains().diskAttach(domid, cfg, AoHow.synchronous()));
            if (ao.rc() != 0) {
                throw new DriverException(ErrorNumber.VIR_ERR_OPERATION_FAILED, "libxenlight failed to attach disk '"
                        + disk.targetDev() + "' to '" + o.name + "': " + LibxlError.describe(ao.rc()));
            }
            o.liveDisks.add(disk);
        });
    }

    void detachDisk(XlDomainObj o, String deviceXml) {
        checkNotLoopThread("detachDevice");
        DiskDefinition disk = DomainXml.parseDisk(deviceXml);
        DiskConfig cfg = diskConfig(disk);
        withJob(o, () -> {
            requireActive(o);
            DiskDefinition found = null;
            for (DiskDefinition d : o.liveDisks) {
                if (d.targetDev().equals(disk.targetDev())) {
                    found = d;
                }
            }
            if (found == null) {
                throw new DriverException(ErrorNumber.VIR_ERR_DEVICE_MISSING, "disk " + disk.targetDev() + " not found");
            }
            int domid = o.domid;
            Ao ao = call("disk detach " + o.name, () -> domains().diskDetach(domid, cfg.devid(), AoHow.synchronous()));
            // A detach that timed out removed the device by force (libxl's behaviour): it is gone either way.
            if (ao.rc() != 0 && ao.rc() != LibxlError.TIMEDOUT.code()) {
                throw new DriverException(ErrorNumber.VIR_ERR_OPERATION_FAILED, "libxenlight failed to detach disk '"
                        + disk.targetDev() + "' from '" + o.name + "': " + LibxlError.describe(ao.rc()));
            }
            o.liveDisks.remove(found);
        });
    }

    /** A query: reads the domain's published view, never waits for its job. */
    private static XlDomainObj.View view(XlDomainObj o) {
        if (o.removed) {
            throw noDomain("domain '" + o.name + "' was undefined");
        }
        return o.view;
    }

    DomainInfo info(XlDomainObj o) {
        XlDomainObj.View v = view(o);
        DomainDefinition d = v.liveDefinition();
        return new DomainInfo(v.state(), d.memoryKiB(), d.currentMemoryKiB(), d.vcpus());
    }

    int id(XlDomainObj o) {
        return view(o).domid();
    }

    boolean isActive(XlDomainObj o) {
        return view(o).domid() > 0;
    }

    String xml(XlDomainObj o) {
        return view(o).liveDefinition().toXml();
    }

    // ================================================================== libxl events

    /** libxl's event hook: ctx lock held, any thread. Hands the event to the worker. */
    private void libxlEvent(LibxlEvent ev) {
        submit(() -> handle(ev));
    }

    /** Hands work to the event worker; after close it is dropped (the domains are gone with the host). */
    private boolean submit(Runnable work) {
        try {
            eventWorker.execute(() -> {
                try {
                    work.run();
                } catch (DriverException e) {
                    if (!isClosed()) {
                        throw e;
                    }
                    // The state closed under the handler (libxl's operations are gone): nothing left to do.
                    log.debug("libxl event handled while the xl state closed: {}", e.getMessage());
                }
            });
            return true;
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.debug("libxl callback after the xl state closed: dropped");
            return false;
        }
    }

    /** On the event worker, as libvirt's libxlDomainShutdownThread / libxlDomainDeathThread. */
    private void handle(LibxlEvent ev) {
        XlDomainObj o;
        listLock.lock();
        try {
            o = byDomid.get(ev.domid());
        } finally {
            listLock.unlock();
        }
        if (o == null) {
            return; // nothing to do for a domain we do not know (libvirt does the same)
        }
        withJobIfPresent(o, () -> {
            if (o.domid != ev.domid()) {
                return; // an event of an earlier life of this domain
            }
            libxlEvents.incrementAndGet();
            int id = o.domid;
            if (ev.type() == LibxlEventType.DOMAIN_DEATH) {
                cleanupLocked(o, DomainState.VIR_DOMAIN_SHUTOFF);
                queue(o, DomainEventType.STOPPED, StoppedDetail.DESTROYED.ordinal(), id);
                dropIfTransient(o);
                return;
            }
            // The actions of the definition the domain runs with, not of a redefinition made since it started.
            DomainDefinition live = o.actions();
            LifecycleAction action;
            StoppedDetail detail;
            DomainState state;
            switch (ev.shutdownReason()) {
                case POWEROFF -> {
                    action = live.onPoweroff();
                    detail = StoppedDetail.SHUTDOWN;
                    state = DomainState.VIR_DOMAIN_SHUTOFF;
                }
                case REBOOT -> {
                    if (o.rebootsInFlight > 0) {
                        return; // the reboot operation restarts it and reports it when done
                    }
                    action = live.onReboot();
                    detail = StoppedDetail.SHUTDOWN;
                    state = DomainState.VIR_DOMAIN_SHUTOFF;
                }
                case CRASH -> {
                    action = live.onCrash();
                    detail = StoppedDetail.CRASHED;
                    state = DomainState.VIR_DOMAIN_CRASHED;
                }
                default -> {
                    log.info("{}: unhandled shutdown reason {}", o.name, ev.shutdownReason());
                    return; // SUSPEND is the caller's business; WATCHDOG and SOFT_RESET are not simulated
                }
            }
            actionsApplied.incrementAndGet();
            // As libvirt, the STOPPED event is queued once the action is done, so that a listener sees the
            // domain in its new state.
            switch (action) {
                case DESTROY, COREDUMP_DESTROY -> {
                    destroyLocked(o, false);
                    queue(o, DomainEventType.STOPPED, detail.ordinal(), id);
                    dropIfTransient(o);
                }
                case RESTART, RESTART_RENAME, COREDUMP_RESTART -> {
                    // As libvirt's libxlDomainShutdownHandleRestart: destroyed, cleaned up and started again from
                    // the persistent definition; a transient domain stays listed and reachable throughout.
                    destroyLocked(o, false);
                    queue(o, DomainEventType.STOPPED, detail.ordinal(), id);
                    try {
                        startLocked(o);
                    } catch (DriverException e) {
                        log.error("failed to restart domain '{}': {}", o.name, e.getMessage());
                        dropIfTransient(o);
                    }
                }
                case PRESERVE -> {
                    o.state = state; // left shut down (or crashed), holding its domid, until destroyed
                    queue(o, DomainEventType.STOPPED, detail.ordinal(), id);
                }
            }
        });
    }

    // ================================================================== events out

    /** With the domain's job held: an event of the domain's current life (its id now). */
    private void queue(XlDomainObj o, DomainEventType type, int detail) {
        queue(o, type, detail, o.domid);
    }

    /**
     * With the domain's job held: one lifecycle event to every open connection, all of them in the one order
     * of the driver ({@link #eventOrder}). {@code id} is the id of the life the event is about (for a STOPPED
     * event, the id the domain had): the event's domain handle answers it from {@code getID()}, as libvirt's
     * event carries the domain's id at the time the event was made.
     */
    private void queue(XlDomainObj o, DomainEventType type, int detail, int id) {
        o.publish(); // a listener that looks at the domain sees the state the event reports
        eventsQueued.incrementAndGet();
        DomainEvent ev = new DomainEvent(type, detail);
        EventJournal j = journal;
        if (j != null) {
            j.produced(o.name, ev); // in the domain's order (its job is held)
        }
        eventOrder.lock();
        try {
            for (XlConnect c : connections) {
                c.queueEvent(o, ev, id);
            }
        } finally {
            eventOrder.unlock();
        }
    }

    // ================================================================== helpers

    private void checkNotLoopThread(String what) {
        if (Thread.currentThread() == loopThread) {
            throw new DriverException(ErrorNumber.VIR_ERR_OPERATION_INVALID, what + " waits for the event loop and "
                    + "cannot be called on the event loop's own thread (e.g. from a lifecycle listener)");
        }
    }

    /**
     * Shutdown and reboot, as libvirt's libxl driver: an active domain is asked whether it runs or is paused
     * (libxl writes the request; a paused guest answers it). A preserved shut-down or crashed domain is not.
     */
    private static void requireRunningOrPaused(XlDomainObj o, String what) {
        if (!o.isActive() || o.state != DomainState.VIR_DOMAIN_RUNNING && o.state != DomainState.VIR_DOMAIN_PAUSED) {
            throw invalidState("domain is not running");
        }
        requireNoReboot(o, what);
    }

    /**
     * libvirt's job model for the one asynchronous state change here: while a reboot operation of this life is in
     * flight (libxl restarts the guest in place and the driver reports it when it completes), a conflicting state
     * change (shutdown, reboot, suspend, resume) is refused instead of being applied between the restart and its
     * report, which would make the events contradict the state. Destroy is allowed: it aborts the reboot.
     */
    private static void requireNoReboot(XlDomainObj o, String what) {
        if (o.rebootsInFlight > 0) {
            throw invalidState("cannot " + what + " domain '" + o.name + "' while its reboot is in progress");
        }
    }

    private static void requireActive(XlDomainObj o) {
        if (!o.isActive()) {
            throw invalidState("domain is not running");
        }
    }

    private static DriverException invalidState(String message) {
        return new DriverException(ErrorNumber.VIR_ERR_OPERATION_INVALID, "Requested operation is not valid: "
                + message);
    }

    private boolean isClosed() {
        listLock.lock();
        try {
            return closed;
        } finally {
            listLock.unlock();
        }
    }

    /**
     * A libxl initiating call; its refusal (libxl's AO_CREATE_FAIL) as libvirt's error, and libxl's "closed"
     * (the state closed between the caller's check and the call) as a closed connection.
     */
    private <T> T call(String what, Supplier<T> body) {
        try {
            return body.get();
        } catch (IllegalStateException e) {
            if (!isClosed()) {
                throw e;
            }
            throw new DriverException(ErrorNumber.VIR_ERR_INVALID_CONN, "libxenlight: " + what
                    + ": the xl driver state closed", e);
        } catch (LibxlException e) {
            ErrorNumber n = switch (e.error()) {
                case DOMAIN_NOTFOUND -> ErrorNumber.VIR_ERR_NO_DOMAIN;
                case INVAL -> ErrorNumber.VIR_ERR_OPERATION_INVALID;
                case DEVICE_EXISTS -> ErrorNumber.VIR_ERR_OPERATION_FAILED;
                case NOTFOUND -> ErrorNumber.VIR_ERR_DEVICE_MISSING;
                default -> ErrorNumber.VIR_ERR_INTERNAL_ERROR;
            };
            throw new DriverException(n, "libxenlight: " + what + ": " + e.getMessage(), e);
        }
    }

    /** Xen's virtual block device number for a disk name: xvdX is 202*256 + 16*X. */
    static DiskConfig diskConfig(DiskDefinition d) {
        String dev = d.targetDev();
        if (!dev.matches("xvd[a-p]")) {
            throw new DriverException(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED, "disk target '" + dev
                    + "': the simulated host takes xvda to xvdp");
        }
        int devid = 202 * 256 + 16 * (dev.charAt(3) - 'a');
        String target = d.source() == null ? "none" : d.source();
        if (target.chars().anyMatch(c -> c <= ' ' || c > '~')) {
            throw new DriverException(ErrorNumber.VIR_ERR_CONFIG_UNSUPPORTED, "disk source '" + target
                    + "': the simulated host takes printable ASCII without spaces");
        }
        return new DiskConfig(devid, dev, target);
    }

    // ================================================================== diagnostics and close

    void journal(EventJournal j) {
        journal = j;
    }

    void operationJournal(OperationJournal j) {
        opJournal = j;
    }

    XlStats stats() {
        return new XlStats(shutdownRequests.get(), shutdownsAnswered.get(), shutdownsTimedOut.get(), rebootsDone.get(),
                rebootsFailed.get(), libxlEvents.get(), actionsApplied.get(), eventsQueued.get());
    }

    Optional<DomainsStats> domainsStats() {
        listLock.lock();
        try {
            return domains == null ? Optional.empty() : Optional.of(domains.stats());
        } finally {
            listLock.unlock();
        }
    }

    OsEventBridge bridge() {
        return bridge;
    }

    /** The loop probe's timer id (tests). */
    int loopProbeId() {
        return loopProbe;
    }

    /** Whether the loop probe has run (tests). */
    boolean loopThreadKnown() {
        return loopThread != null;
    }

    LibxlContext context() {
        return ctx;
    }

    Optional<SimHost> host() {
        listLock.lock();
        try {
            return Optional.ofNullable(host);
        } finally {
            listLock.unlock();
        }
    }

    /**
     * libvirt's {@code stateCleanup}: stops the event worker, closes libxl's domain operations (aborting what
     * is in flight, disabling the death watches), frees the ctx and lets the loop free every registration
     * of the bridge (the loop must still run), then stops the simulated host.
     */
    @Override
    public void close() {
        LibxlDomains doms;
        SimHost h;
        listLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            doms = domains;
            h = host;
        } finally {
            listLock.unlock();
        }
        if (loopProbeRemoved.compareAndSet(false, true)) {
            loop.removeTimeout(loopProbe); // it never fired; once it did, its id is not ours any more
        }
        // Abort libxl's operations first: a caller blocked in one holds its domain's job, and an event
        // handler on the worker may wait for that job; draining the worker first would wait for libxl's own
        // timeouts (up to 40 s for a disk backend) before anything is aborted.
        if (doms != null) {
            doms.close();
        }
        eventWorker.shutdown();
        try {
            if (!eventWorker.awaitTermination(DRAIN.toMillis(), TimeUnit.MILLISECONDS)) {
                log.warn("xl event worker still busy after {}", DRAIN);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ctx.close();
        try {
            if (!bridge.awaitDrained(DRAIN)) {
                log.warn("xl driver: bridge not drained after {}: {}", DRAIN, bridge.stats());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (h != null) {
            h.close();
        }
        log.info("xl driver state cleaned up");
    }
}
