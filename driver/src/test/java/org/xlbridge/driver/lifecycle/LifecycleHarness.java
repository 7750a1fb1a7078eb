package org.xlbridge.driver.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.libvirt.Error.ErrorNumber;
import org.xlbridge.driver.api.Connect;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.Domains;
import org.xlbridge.driver.api.DriverException;
import org.xlbridge.driver.lifecycle.LifecycleModel.Def;
import org.xlbridge.driver.lifecycle.LifecycleModel.Dom;
import org.xlbridge.driver.xl.XlConnect;
import org.xlbridge.xen.ShutdownReason;

/**
 * The system under test beside its {@link LifecycleModel}: several connections (the clients), each with a
 * lifecycle listener recording what it receives; every call goes through one client's connection and its
 * answer is compared with the model's; {@link #check()} runs after every step: each connection's whole event
 * sequence, every domain's state, the lists and the lookups by name, UUID and id, on every connection.
 *
 * <p>{@link Flavour} says which driver: the {@code xl} driver over the simulated host, or libvirt's
 * {@code test:///default} through the {@code libvirt} driver, where only the operations both share are
 * drawn and the test driver's known lenient differences are excluded (each named in {@link Flavour#LIBVIRT}).
 *
 * <p>Not thread-safe: one test thread drives it; the listeners' lists are copy-on-write.
 */
final class LifecycleHarness implements AutoCloseable {
    /** Names the sequences draw from: few, so that calls meet each other's domains. */
    static final List<String> NAMES = List.of("lc-a", "lc-b", "lc-c");
    private static final Duration SETTLE = Duration.ofSeconds(10);

    enum Flavour {
        /** The xl driver: every operation, every guest kind. */
        XL,
        /**
         * libvirt's test driver, a witness on the shared operations. Excluded, as libvirt's test driver differs
         * from libvirt's libxl driver there (docs/driver.md lists them): reboot (it queues no event and keeps
         * the domain running), suspend of a paused and resume of a running domain (it refuses them, libxl's
         * driver does nothing), undefine of a running transient domain (it allows it, libxl's and qemu's
         * drivers refuse), guests that answer late or never, crashes and guest-initiated shutdowns (its guests
         * have no behaviour: shutdown completes inside the call); on_poweroff and on_crash restart (its shutdown
         * ignores on_poweroff). Its wrong-state errors are mostly INTERNAL_ERROR where ours are
         * OPERATION_INVALID: that one number is accepted for that one case. A define racing the destroy of the
         * running transient domain of that name may be refused with OPERATION_FAILED "already being removed"
         * (libvirt's virDomainObjListAdd; the xl driver waits for the removal): accepted in that race only.
         */
        LIBVIRT
    }

    final Flavour flavour;
    final LifecycleModel model = new LifecycleModel();
    private final List<Connect> clients;
    private final Supplier<Connect> open;
    private final List<List<String>> received = new ArrayList<>();
    /** Per connection: the model's event count when its listener was added (a reopened one sees a suffix). */
    private final List<Integer> since = new ArrayList<>();
    /** The steps run so far, for the failure report (jqwik shows the shrunk sequence too). */
    final List<String> log = new ArrayList<>();

    private final Jitter jitter;

    LifecycleHarness(Flavour flavour, Supplier<Connect> open, int clients, Jitter jitter) {
        this.flavour = flavour;
        this.jitter = jitter;
        this.open = open;
        this.clients = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            Connect c = open.get();
            this.clients.add(c);
        }
        for (Connect c : this.clients) {
            received.add(listen(c));
            since.add(0);
        }
        if (flavour == Flavour.LIBVIRT) {
            // Listening first, so that the cleanup's own events (flushed later) are seen here and dropped.
            int events = cleanLibvirt(this.clients.get(0));
            long deadline = System.nanoTime() + SETTLE.toNanos();
            for (List<String> r : received) {
                while (r.size() < events && System.nanoTime() < deadline) {
                    sleep(1);
                }
            }
            sleep(20);
            received.forEach(List::clear);
        } else {
            ((XlConnect) this.clients.get(0)).setEventJournal((name, ev) -> jitter.maybe());
        }
    }

    private static List<String> listen(Connect c) {
        List<String> events = new CopyOnWriteArrayList<>();
        c.addLifecycleListener((d, e) -> {
            if (NAMES.contains(d.getName())) {
                events.add(d.getName() + " " + e.getType() + "/" + e.getDetail());
            }
        });
        return events;
    }

    /** test:///default lives as long as the process: removes what an earlier sequence left; counts its events. */
    private static int cleanLibvirt(Connect c) {
        int events = 0;
        for (String n : NAMES) {
            try {
                Domain d = c.domainLookupByName(n);
                if (d.isActive()) {
                    d.destroy();
                    events++;
                }
                try {
                    c.domainLookupByName(n).undefine();
                    events++;
                } catch (DriverException e) {
                    // transient and gone with the destroy
                }
            } catch (DriverException e) {
                // not there
            }
        }
        return events;
    }

    Connect client(int i) {
        return clients.get(i % clients.size());
    }

    private String type() {
        return flavour == Flavour.XL ? "xen" : "test";
    }

    // ------------------------------------------------------------------ calls

    /** Runs a call, compares its answer with the model's. */
    void expect(String step, ErrorNumber expected, Runnable call) {
        log.add(step + " -> " + (expected == null ? "ok" : expected));
        ErrorNumber got = null;
        String message = null;
        try {
            call.run();
        } catch (DriverException e) {
            got = e.getError();
            message = e.getMessage();
        }
        if (sameAnswer(expected, got)) {
            return;
        }
        fail(step + ": expected " + (expected == null ? "success" : expected) + " but got "
                + (got == null ? "success" : got + " (" + message + ")") + "\nsteps: " + log);
    }

    /** The model's answer against the driver's: equal, or the test driver's number for a wrong state. */
    private boolean sameAnswer(ErrorNumber expected, ErrorNumber got) {
        return got == expected || flavour == Flavour.LIBVIRT && expected == ErrorNumber.VIR_ERR_OPERATION_INVALID
                && got == ErrorNumber.VIR_ERR_INTERNAL_ERROR;
    }

    Domain handle(int client, String name) {
        return client(client).domainLookupByName(name);
    }

    void define(int client, String name, Def def) {
        String xml = def.xml(name, LifecycleModel.uuidOf(name), type(), flavour == Flavour.XL);
        ErrorNumber want = model.define(name, def);
        expect("c" + client + " define " + name + " " + def, want, () -> client(client).domainDefineXML(xml));
    }

    /** A call on a domain the model knows (the caller checked it exists). */
    void onDomain(int client, String name, String op) {
        Dom d = model.domains.get(name);
        ErrorNumber want = switch (op) {
            case "create" -> model.create(d);
            case "shutdown" -> model.shutdown(d);
            case "reboot" -> model.reboot(d);
            case "destroy" -> model.destroy(d);
            case "suspend" -> model.suspend(d);
            case "resume" -> model.resume(d);
            case "undefine" -> model.undefine(d);
            default -> throw new IllegalArgumentException(op);
        };
        Domain h = handle(client, name);
        expect("c" + client + " " + op + " " + name, want, () -> {
            switch (op) {
                case "create" -> h.create();
                case "shutdown" -> h.shutdown();
                case "reboot" -> h.reboot();
                case "destroy" -> h.destroy();
                case "suspend" -> h.suspend();
                case "resume" -> h.resume();
                case "undefine" -> h.undefine();
                default -> throw new IllegalArgumentException(op);
            }
        });
    }

    void shutdownOrDestroy(int client, String name) {
        Dom d = model.domains.get(name);
        String want = model.shutdownOrDestroy(d);
        Domain h = handle(client, name);
        log.add("c" + client + " shutdownOrDestroy " + name + " -> " + want);
        Object got;
        try {
            got = Domains.shutdownOrDestroy(client(client), h, Duration.ofMillis(100)).name();
        } catch (DriverException e) {
            got = e.getError() + " (" + e.getMessage() + ")";
        }
        assertThat(got).as("shutdownOrDestroy %s\nsteps: %s", name, log).isEqualTo(want);
    }

    /** The guest side (xl only): a late answer, a crash, a guest powering off or rebooting by itself. */
    void guest(String name, String what) {
        Dom d = model.domains.get(name);
        int domid = handle(0, name).getID();
        log.add("guest " + what + " " + name + " (domid " + domid + ")");
        var host = ((XlConnect) clients.get(0)).simulatedHost().orElseThrow();
        boolean done = switch (what) {
            case "answer" -> {
                ShutdownReason r = d.pending.equals("reboot") ? ShutdownReason.REBOOT : ShutdownReason.POWEROFF;
                model.answer(d);
                yield host.shutdownFromGuest(domid, r);
            }
            case "crash" -> {
                model.crash(d);
                yield host.crash(domid);
            }
            case "poweroff" -> {
                model.poweroff(d);
                yield host.shutdownFromGuest(domid, ShutdownReason.POWEROFF);
            }
            case "reboot" -> {
                model.guestReboot(d);
                yield host.shutdownFromGuest(domid, ShutdownReason.REBOOT);
            }
            default -> throw new IllegalArgumentException(what);
        };
        assertThat(done).as("the guest of %s (%s) could %s\nsteps: %s", name, domid, what, log).isTrue();
    }

    // ------------------------------------------------------------------ compound steps (xl)

    /** Asks the xl driver to show each shutdown and reboot start to {@code started}. */
    private void onOperationStart(Runnable started) {
        ((XlConnect) clients.get(0)).setOperationJournal(new org.xlbridge.driver.xl.OperationJournal() {
            @Override
            public void started(String domain, String operation, long aoId) {
                started.run();
            }

            @Override
            public void completed(String domain, String operation, long aoId, int rc) {
            }
        });
    }

    /**
     * destroy, create, then shutdownOrDestroy with the first life's STOPPED/DESTROYED still queued when the helper
     * starts listening (the flushes are held until the helper asked the guest): issue 23, defect 4.
     */
    void restartThenShutdownOrDestroy(int client, String name) {
        Dom d = model.domains.get(name);
        log.add("c" + client + " destroy, create, shutdownOrDestroy " + name + " (events late)");
        Domain h = handle(client, name);
        java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(1);
        onOperationStart(asked::countDown);
        jitter.hold();
        String want;
        Object got;
        try {
            expect("c" + client + " destroy " + name, model.destroy(d), h::destroy);
            expect("c" + client + " create " + name, model.create(d), h::create);
            want = model.shutdownOrDestroy(d);
            Object[] result = new Object[1];
            Thread helper = new Thread(() -> {
                try {
                    result[0] = Domains.shutdownOrDestroy(client(client), h, Duration.ofMillis(100)).name();
                } catch (DriverException e) {
                    result[0] = e.getError() + " (" + e.getMessage() + ")";
                }
            }, "lifecycle-helper");
            helper.start();
            try {
                asked.await(10, java.util.concurrent.TimeUnit.SECONDS);
            } finally {
                jitter.release();
            }
            helper.join(30_000);
            got = result[0];
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            jitter.release();
            onOperationStart(() -> { });
        }
        assertThat(got).as("shutdownOrDestroy %s after a restart\nsteps: %s", name, log).isEqualTo(want);
    }

    /**
     * shutdownOrDestroy of a guest that does not answer, with its connection closed from another thread once
     * the guest was asked: the helper answers INVALID_CONN at once (not after its timeout, not an error of its
     * own cleanup), calls on the closed connection answer INVALID_CONN (removeLifecycleListener too: issue 23,
     * defect 5), the domain keeps running, and the client opens a new connection.
     */
    void closeWhileHelperWaits(int client, String name) {
        Dom d = model.domains.get(name);
        log.add("c" + client + " shutdownOrDestroy " + name + ", connection closed meanwhile");
        int i = client % clients.size();
        Connect c = clients.get(i);
        Domain h = handle(client, name);
        java.util.concurrent.CountDownLatch asked = new java.util.concurrent.CountDownLatch(1);
        onOperationStart(asked::countDown);
        Object[] result = new Object[1];
        long[] tookMs = new long[1];
        Thread helper = new Thread(() -> {
            long t0 = System.nanoTime();
            try {
                result[0] = Domains.shutdownOrDestroy(c, h, Duration.ofSeconds(20)).name();
            } catch (DriverException e) {
                result[0] = e.getError();
            }
            tookMs[0] = (System.nanoTime() - t0) / 1_000_000;
        }, "lifecycle-helper");
        helper.start();
        try {
            assertThat(asked.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
            c.close();
            helper.join(30_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            onOperationStart(() -> { });
        }
        if (d.live().guest() == LifecycleModel.Guest.LATE) {
            d.pending = "poweroff";
        }
        assertThat(result[0]).as("the helper on a closed connection\nsteps: %s", log)
                .isEqualTo(ErrorNumber.VIR_ERR_INVALID_CONN);
        assertThat(tookMs[0]).as("the helper noticed the close, not its 20 s timeout").isLessThan(10_000);
        for (Runnable call : List.<Runnable>of(() -> c.removeLifecycleListener((dom, e) -> { }), c::listDomains,
                () -> c.domainLookupByName(name))) {
            try {
                call.run();
                fail("a call on a closed connection succeeded\nsteps: " + log);
            } catch (DriverException e) {
                assertThat(e.getError()).as("a call on a closed connection\nsteps: %s", log)
                        .isEqualTo(ErrorNumber.VIR_ERR_INVALID_CONN);
            }
        }
        Connect again = open.get();
        clients.set(i, again);
        received.set(i, listen(again));
        since.set(i, model.events.size());
        if (i == 0 && flavour == Flavour.XL) {
            ((XlConnect) again).setEventJournal((n, ev) -> jitter.maybe());
        }
    }

    // ------------------------------------------------------------------ racing calls from two clients

    /** Runs two calls at once (a barrier starts both); returns what each threw, or null. */
    private DriverException[] together(Runnable first, Runnable second) {
        java.util.concurrent.CyclicBarrier start = new java.util.concurrent.CyclicBarrier(2);
        DriverException[] thrown = new DriverException[2];
        Runnable[] calls = {first, second};
        Thread[] threads = new Thread[2];
        for (int i = 0; i < 2; i++) {
            int k = i;
            threads[i] = new Thread(() -> {
                try {
                    start.await();
                    calls[k].run();
                } catch (DriverException e) {
                    thrown[k] = e;
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "lifecycle-race-" + i);
        }
        jitter.on(true);
        try {
            for (Thread t : threads) {
                t.start();
            }
            for (Thread t : threads) {
                t.join(30_000);
                assertThat(t.isAlive()).as("a racing call returned\nsteps: %s", log).isFalse();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        } finally {
            jitter.on(false);
        }
        return thrown;
    }

    /** The events connection 0 received from the model's index {@code from} on, once there are {@code n}. */
    private List<String> newEvents(int from, int n) {
        List<String> got = received.get(0);
        from -= since.get(0);
        long deadline = System.nanoTime() + SETTLE.toNanos();
        while (got.size() < from + n && System.nanoTime() < deadline) {
            sleep(1);
        }
        assertThat(got.size()).as("connection 0 has the racing calls' events\nsteps: %s", log)
                .isGreaterThanOrEqualTo(from + n);
        return List.copyOf(got.subList(from, from + n));
    }

    /**
     * Destroy of a running domain on one client while another defines the same name (issue 23, defect 3): the
     * define comes first (DEFINED/UPDATED, then the domain stops and stays defined) or second (the old life's
     * STOPPED/DESTROYED, then the definition: ADDED for a transient domain that went, UPDATED otherwise). Any
     * other order on any connection is wrong.
     */
    void raceDestroyDefine(int destroyer, int definer, String name, Def def) {
        Dom d = model.domains.get(name);
        boolean wasTransient = !d.persistent;
        String xml = def.xml(name, LifecycleModel.uuidOf(name), type(), flavour == Flavour.XL);
        Domain h = handle(destroyer, name);
        log.add("race: c" + destroyer + " destroy " + name + " | c" + definer + " define " + name + " " + def);
        int before = model.events.size();
        DriverException[] thrown = together(h::destroy, () -> client(definer).domainDefineXML(xml));
        String stopped = name + " STOPPED/DESTROYED";
        if (flavour == Flavour.LIBVIRT && wasTransient && thrown[0] == null && thrown[1] != null
                && thrown[1].getError() == ErrorNumber.VIR_ERR_OPERATION_FAILED
                && thrown[1].getMessage().contains("already being removed")) {
            // libvirt's virDomainObjListAdd refuses a define while the transient domain of that name is being
            // removed; the xl driver waits for the removal instead. Both are right: the domain is gone.
            assertThat(newEvents(before, 1)).as("destroy | refused define\nsteps: %s", log)
                    .containsExactly(stopped);
            model.destroy(d);
            return;
        }
        assertThat(thrown).as("both succeed\nsteps: %s", log).containsOnlyNulls();
        String updated = name + " DEFINED/UPDATED";
        String second = name + (wasTransient ? " DEFINED/ADDED" : " DEFINED/UPDATED");
        List<String> got = newEvents(before, 2);
        if (got.equals(List.of(updated, stopped))) {
            model.define(name, def);
            model.destroy(model.domains.get(name));
        } else if (got.equals(List.of(stopped, second))) {
            model.destroy(d);
            model.define(name, def);
        } else {
            fail("destroy | define of " + name + ": connection 0 saw " + got + ", neither [" + updated + ", "
                    + stopped + "] nor [" + stopped + ", " + second + "]\nsteps: " + log);
        }
    }

    /**
     * Two calls on two different domains from two clients at once: each answers as the model says, each domain's
     * events keep their order, and (checked after the step) every connection sees the one interleaving that
     * connection 0 saw.
     */
    void racePair(int ca, String na, String opA, int cb, String nb, String opB) {
        log.add("race: c" + ca + " " + opA + " " + na + " | c" + cb + " " + opB + " " + nb);
        Domain ha = handle(ca, na);
        Domain hb = handle(cb, nb);
        int before = model.events.size();
        ErrorNumber wantA = modelOp(model.domains.get(na), opA);
        List<String> eventsA = List.copyOf(model.events.subList(before, model.events.size()));
        int mid = model.events.size();
        ErrorNumber wantB = modelOp(model.domains.get(nb), opB);
        List<String> eventsB = List.copyOf(model.events.subList(mid, model.events.size()));
        DriverException[] thrown = together(() -> call(ha, opA), () -> call(hb, opB));
        ErrorNumber gotA = thrown[0] == null ? null : thrown[0].getError();
        ErrorNumber gotB = thrown[1] == null ? null : thrown[1].getError();
        assertThat(sameAnswer(wantA, gotA)).as("%s %s: want %s got %s\nsteps: %s", opA, na, wantA, gotA, log).isTrue();
        assertThat(sameAnswer(wantB, gotB)).as("%s %s: want %s got %s\nsteps: %s", opB, nb, wantB, gotB, log).isTrue();
        List<String> got = newEvents(before, eventsA.size() + eventsB.size());
        List<String> onlyA = got.stream().filter(e -> e.startsWith(na + " ")).toList();
        List<String> onlyB = got.stream().filter(e -> e.startsWith(nb + " ")).toList();
        assertThat(onlyA).as("%s's events in its order\nsteps: %s", na, log).isEqualTo(eventsA);
        assertThat(onlyB).as("%s's events in its order\nsteps: %s", nb, log).isEqualTo(eventsB);
        model.events.subList(before, model.events.size()).clear();
        model.events.addAll(got); // the interleaving every other connection must have seen too
    }

    private ErrorNumber modelOp(Dom d, String op) {
        return switch (op) {
            case "create" -> model.create(d);
            case "destroy" -> model.destroy(d);
            case "suspend" -> model.suspend(d);
            case "resume" -> model.resume(d);
            default -> throw new IllegalArgumentException(op);
        };
    }

    private static void call(Domain h, String op) {
        switch (op) {
            case "create" -> h.create();
            case "destroy" -> h.destroy();
            case "suspend" -> h.suspend();
            case "resume" -> h.resume();
            default -> throw new IllegalArgumentException(op);
        }
    }

    // ------------------------------------------------------------------ the check after every step

    void check() {
        long deadline = System.nanoTime() + SETTLE.toNanos();
        for (int i = 0; i < received.size(); i++) {
            List<String> want = model.events.subList(since.get(i), model.events.size());
            List<String> got = received.get(i);
            while (got.size() < want.size() && System.nanoTime() < deadline) {
                sleep(1);
            }
            assertThat(List.copyOf(got)).as("events of connection %d\nsteps: %s", i, log)
                    .containsExactlyElementsOf(want);
        }
        for (int i = 0; i < clients.size(); i++) {
            checkLookups(i);
        }
    }

    /** At the end: nothing more arrives (no late, unexpected event). */
    void checkQuiet() {
        sleep(100);
        check();
    }

    private void checkLookups(int client) {
        Connect c = client(client);
        Set<String> activeWant = new TreeSet<>();
        Set<String> inactiveWant = new TreeSet<>();
        for (String n : NAMES) {
            Dom d = model.domains.get(n);
            if (d == null) {
                try {
                    c.domainLookupByName(n);
                    fail("c" + client + ": " + n + " should not exist\nsteps: " + log);
                } catch (DriverException e) {
                    assertThat(e.getError()).isEqualTo(ErrorNumber.VIR_ERR_NO_DOMAIN);
                }
                continue;
            }
            (d.active ? activeWant : inactiveWant).add(n);
            Domain h = c.domainLookupByName(n);
            assertThat(h.getUUID()).isEqualTo(d.uuid);
            assertThat(h.getInfo().state()).as("c%d state of %s\nsteps: %s", client, n, log).isEqualTo(d.state);
            assertThat(h.isActive()).as("c%d %s active\nsteps: %s", client, n, log).isEqualTo(d.active);
            assertThat(c.domainLookupByUUID(d.uuid).getName()).isEqualTo(n);
            int id = h.getID();
            if (d.active) {
                assertThat(id).as("c%d id of running %s\nsteps: %s", client, n, log).isPositive();
                assertThat(c.domainLookupByID(id).getName()).as("lookup by id %d", id).isEqualTo(n);
            } else {
                assertThat(id).as("c%d id of inactive %s\nsteps: %s", client, n, log).isEqualTo(-1);
            }
        }
        Set<String> activeGot = new TreeSet<>();
        for (int id : c.listDomains()) {
            try {
                String n = c.domainLookupByID(id).getName();
                if (NAMES.contains(n)) {
                    activeGot.add(n);
                }
            } catch (DriverException e) {
                fail("c" + client + ": listed id " + id + " cannot be looked up: " + e.getMessage() + "\nsteps: " + log);
            }
        }
        assertThat(activeGot).as("c%d listDomains\nsteps: %s", client, log).isEqualTo(activeWant);
        Set<String> inactiveGot = new TreeSet<>();
        for (String n : c.listDefinedDomains()) {
            if (NAMES.contains(n)) {
                inactiveGot.add(n);
            }
        }
        assertThat(inactiveGot).as("c%d listDefinedDomains\nsteps: %s", client, log).isEqualTo(inactiveWant);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    @Override
    public void close() {
        for (Connect c : clients) {
            c.close();
        }
    }
}
