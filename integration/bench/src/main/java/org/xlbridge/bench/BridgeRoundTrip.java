package org.xlbridge.bench;

import org.xlbridge.driver.BridgeStats;
import org.xlbridge.driver.OsEventBridge;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.libxl.TimeEvent;
import org.xlbridge.libxl.TimeEventCallback;

/**
 * The full libxl hook round trip on one {@link EventLoop}, driven on the calling thread:
 * {@code TimeEvent.registerRel} (one hour ahead: the register hook adds a loop timer) →
 * {@code deregister()} (the fixed protocol's modify(ASAP): the timer's frequency becomes 0) → the loop
 * dispatches the timer → the bridge calls {@code occurredTimeout}, which the ctx discards as stale and
 * whose token it recycles → the bridge removes the timer → the loop frees the bridge's registration.
 * A round trip is complete when the bridge has no live registration left.
 *
 * <p>libvirt's GLib loop leaves work behind that the bridge cannot see: every replaced or removed GLib
 * source is unreferenced, and every removed timer leaves libvirt's table, from an idle callback, and
 * GLib runs idle callbacks only in an iteration where no ordinary source (such as a due timer) is ready.
 * A loop driven only while round trips are outstanding would never get to them, and libvirt's linear
 * timer table would grow without bound. With {@code settle} the workload runs one more iteration after
 * each batch is freed, as a continuously running loop would; that iteration is part of the measured
 * time. The embedded loop has no such deferred work (and would block in that iteration).
 *
 * <p>The {@link TimeEvent}s are made once and re-registered for every round trip, as libxl reuses its
 * {@code libxl__ev_time} structures.
 *
 * <p>Not thread-safe: one benchmark thread uses it, and it is also the thread that runs the loop.
 */
final class BridgeRoundTrip implements RoundTrip {
    private final EventLoop loop;
    private final OsEventBridge bridge;
    private final LibxlContext ctx;
    private final TimeEvent[] events;
    private final TimeEventCallback mustNotFire;
    // Counts TimeEvent callbacks that ran; a deregistered event's never does. Benchmark thread only.
    private long fired;
    private long roundTrips;
    private long iterations;
    private final boolean settle;

    /**
     * Builds the ctx with the bridge as its hooks, and {@code batch} reusable time events.
     *
     * @param settle run one more loop iteration after each batch, for the loop's deferred cleanup
     */
    BridgeRoundTrip(EventLoop loop, int batch, boolean settle) {
        this.loop = loop;
        this.settle = settle;
        this.bridge = new OsEventBridge(loop);
        this.ctx = LibxlContext.builder().hooks(bridge).build();
        bridge.attach(ctx);
        this.events = new TimeEvent[batch];
        for (int i = 0; i < batch; i++) {
            events[i] = ctx.newTimeEvent();
        }
        this.mustNotFire = (event, deadline, rc) -> fired++;
    }

    /** Runs one round trip for each of the first {@code n} events; returns the loop iterations it took. */
    @Override
    public long run(int n) {
        for (int i = 0; i < n; i++) {
            TimeEvent event = events[i];
            event.registerRel(BenchLoops.FAR_MS, mustNotFire);
            event.deregister();
        }
        long spins = 0;
        while (!bridge.isDrained()) {
            loop.runOnce();
            spins++;
        }
        if (settle) {
            loop.runOnce();
            spins++;
        }
        roundTrips += n;
        iterations += spins;
        return spins;
    }

    /** Loop iterations per round trip, averaged over the run. */
    double iterationsPerRoundTrip() {
        return roundTrips == 0 ? 0 : (double) iterations / roundTrips;
    }

    /**
     * Checks that every round trip really went through every step: one register hook, one modify(ASAP),
     * one {@code occurredTimeout} discarded by the ctx as stale and one free each; no callback, no
     * violation, no legacy deregister, and no nexus left busy.
     */
    @Override
    public void verify() {
        BridgeStats s = bridge.stats();
        LibxlStats c = ctx.stats();
        if (fired != 0 || s.violations() != 0 || s.legacyDeregisterCalls() != 0 || s.liveTimeouts() != 0
                || s.timeoutsRegistered() != roundTrips || s.modifyAsapCalls() != roundTrips
                || s.occurredDelivered() != roundTrips || s.timeoutFrees() != roundTrips
                || c.staleTimeoutsDiscarded() != roundTrips || c.timeoutsFired() != 0 || c.busyNexi() != 0) {
            throw new IllegalStateException("round trips did not complete as expected after " + roundTrips
                    + " (callbacks fired: " + fired + "): " + s + ", " + c);
        }
    }

    @Override
    public void close() {
        try {
            ctx.close();
        } finally {
            loop.close();
        }
    }
}
