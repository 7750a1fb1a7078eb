package org.xlbridge.race;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.libvirt.Connect;
import org.libvirt.Domain;
import org.libvirt.LibvirtException;
import org.libvirt.event.DomainEvent;
import org.libvirt.event.DomainEventType;
import org.libvirt.event.LifecycleListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.xlbridge.driver.LibvirtConnections;

/**
 * libvirt-java clients beside the libxl race, on the same loop: {@code clients} threads churn domains of
 * their own on one connection (define, create, suspend, resume, destroy, undefine, each domain under a new
 * name), and a lifecycle listener records every event it is given. A {@link LibvirtEventLedger} then
 * compares each domain's events with the ones its calls caused (SPEC I9): every one delivered exactly
 * once, in the domain's order, on the loop thread. Event latency runs from the API call returning to the
 * listener running (0 when the listener ran first).
 *
 * <p>Threads and locking: each client thread owns the domains it creates; the listener runs on the loop
 * thread (a violation otherwise); they share only the ledger (its own locking) and {@link #stop}.
 */
final class LibvirtChurn {
    private static final Logger log = LoggerFactory.getLogger(LibvirtChurn.class);

    private final LibvirtConnections connections;
    private final int clients;
    private final Thread loopThread;
    private final String prefix;
    private final LibvirtEventLedger ledger = new LibvirtEventLedger();
    private final List<Thread> threads = new ArrayList<>();
    private final LifecycleListener listener = this::onLifecycleChange;
    private volatile boolean stop;

    /**
     * @param connections the runtime's libvirt connection (open)
     * @param clients     client threads
     * @param loopThread  the thread that turns the loop: listeners must run there
     */
    LibvirtChurn(LibvirtConnections connections, int clients, Thread loopThread) {
        this.connections = connections;
        this.clients = clients;
        this.loopThread = loopThread;
        this.prefix = "xlbridge-race-" + ProcessHandle.current().pid() + "-";
    }

    /** Adds the listener and starts the client threads, which churn until {@code endNanos}. */
    void start(long endNanos) throws LibvirtException {
        connections.addLifecycleListener(listener);
        Connect conn = connections.connection();
        for (int i = 0; i < clients; i++) {
            int client = i;
            Thread t = new Thread(() -> churn(conn, client, endNanos), "xlbridge-libvirt-client-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    /** Waits for the clients (bounded), then until every expected event arrived or {@code settleNanos} passed. */
    void finish(long settleNanos) throws InterruptedException {
        for (Thread t : threads) {
            t.join(30_000);
            if (t.isAlive()) {
                stop = true;
                log.warn("{} still running 30 s after the end", t.getName());
                t.join(10_000);
            }
        }
        long giveUp = System.nanoTime() + settleNanos;
        while (!ledger.allArrived() && System.nanoTime() < giveUp) {
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Successful domain calls so far. */
    long operations() {
        return ledger.operations();
    }

    /** Lifecycle events received so far. */
    long eventsReceived() {
        return ledger.eventsReceived();
    }

    /** The libvirt section of the report; I9 violations go to {@code checker}. Call after {@link #finish}. */
    LibvirtReport report(String uri, InvariantChecker checker) {
        return ledger.report(uri, clients, checker);
    }

    private interface ApiCall {
        void run() throws LibvirtException;
    }

    private void churn(Connect conn, int client, long endNanos) {
        long cycle = 0;
        while (!stop && System.nanoTime() < endNanos) {
            String name = prefix + client + "-" + cycle++;
            ledger.domain(name);
            Domain[] dom = new Domain[1];
            try {
                call(name, DomainEventType.DEFINED, () -> dom[0] = conn.domainDefineXML(xml(name)));
                Domain d = dom[0];
                call(name, DomainEventType.STARTED, d::create);
                call(name, DomainEventType.SUSPENDED, d::suspend);
                call(name, DomainEventType.RESUMED, d::resume);
                call(name, DomainEventType.STOPPED, d::destroy);
                call(name, DomainEventType.UNDEFINED, d::undefine);
            } catch (LibvirtException e) {
                log.warn("libvirt client {}: a call on {} failed: {}", client, name, e.getMessage());
                cleanUp(name, dom[0]);
            } finally {
                free(dom[0]);
            }
        }
    }

    /** Runs one API call; its event is expected only if it succeeds. */
    private void call(String name, DomainEventType causes, ApiCall api) throws LibvirtException {
        LibvirtEventLedger.Call c = ledger.calling(name, causes);
        try {
            api.run();
        } catch (LibvirtException | RuntimeException e) {
            ledger.failed(name, c);
            throw e;
        }
        ledger.returned(c);
    }

    /** After a failed call: leaves no domain behind (the clean-up calls' events are expected too). */
    private void cleanUp(String name, Domain dom) {
        if (dom == null) {
            return;
        }
        try {
            if (dom.isActive() == 1) {
                call(name, DomainEventType.STOPPED, dom::destroy);
            }
            call(name, DomainEventType.UNDEFINED, dom::undefine);
        } catch (LibvirtException e) {
            log.warn("libvirt client: cleaning up {} failed: {}", name, e.getMessage());
        }
    }

    private static void free(Domain dom) {
        if (dom == null) {
            return;
        }
        try {
            dom.free(); // a Domain holds a reference on the connection until it is freed
        } catch (LibvirtException e) {
            log.warn("freeing a domain object failed: {}", e.getMessage());
        }
    }

    private int onLifecycleChange(Domain dom, DomainEvent event) {
        long now = System.nanoTime();
        boolean onLoop = Thread.currentThread() == loopThread;
        String name = null;
        try {
            name = dom.getName();
        } catch (LibvirtException e) {
            log.warn("lifecycle event for a domain whose name cannot be read: {}", e.getMessage());
        } finally {
            free(dom); // libvirt-java hands the listener a new reference
        }
        ledger.received(name, event.getType(), now, onLoop);
        return 0;
    }

    private static String xml(String name) {
        return "<domain type='test'><name>" + name + "</name><memory>8192</memory><vcpu>1</vcpu>"
                + "<os><type>hvm</type></os></domain>";
    }
}
