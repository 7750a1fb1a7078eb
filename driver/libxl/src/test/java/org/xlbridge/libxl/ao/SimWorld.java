package org.xlbridge.libxl.ao;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.xlbridge.libxl.DeregistrationProtocol;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlStats;
import org.xlbridge.libxl.PollRequest;
import org.xlbridge.libxl.VirtualClock;
import org.xlbridge.posix.PollFds;
import org.xlbridge.xen.SimHost;

/**
 * A simulated host and a poll-only ctx on one virtual clock, for library-level tests: {@link #settle()} runs what the
 * host has due, waits for the store's writer to flush, and lets the ctx dispatch (beforePoll / poll(0) / afterPoll)
 * until nothing more happens. Not thread-safe: one test thread drives it.
 */
final class SimWorld implements AutoCloseable {
    final VirtualClock clock = new VirtualClock();
    final SimHost host = new SimHost(clock::nanoTime);
    final LibxlContext ctx;
    final LibxlDomains doms;
    final List<LibxlEvent> events = Collections.synchronizedList(new ArrayList<>());
    private final PollFds fds = new PollFds(8);

    SimWorld() {
        this(DeregistrationProtocol.ASAP_MODIFY);
    }

    SimWorld(DeregistrationProtocol protocol) {
        ctx = LibxlContext.builder().timeSource(clock).protocol(protocol).build();
        doms = new LibxlDomains(ctx, host, events::add);
    }

    /** Runs host actions due now and dispatches until quiet. */
    void settle() {
        for (int i = 0; i < 10_000; i++) {
            int ran = host.runDue();
            flush();
            boolean dispatched = pumpOnce();
            if (ran == 0 && !dispatched) {
                return;
            }
        }
        throw new AssertionError("the world did not settle");
    }

    /** Moves the clock by {@code ms} in steps that stop at each host action and ctx deadline, settling at each. */
    void advance(long ms) {
        long end = clock.nanoTime() + ms * 1_000_000L;
        settle();
        while (true) {
            long next = Math.min(host.nextDue(), nextCtxDeadline());
            if (next > end) {
                break;
            }
            if (next > clock.nanoTime()) {
                clock.advance(java.time.Duration.ofNanos(next - clock.nanoTime()));
            }
            settle();
        }
        if (end > clock.nanoTime()) {
            clock.advance(java.time.Duration.ofNanos(end - clock.nanoTime()));
        }
        settle();
    }

    private long nextCtxDeadline() {
        PollRequest req = ctx.beforePoll();
        return req.timeoutMs() < 0 ? Long.MAX_VALUE : req.nowNanos() + req.timeoutMs() * 1_000_000L;
    }

    private void flush() {
        try {
            assertThat(doms.watcher().connection().awaitFlushed(5_000)).as("store writer flushed").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private boolean pumpOnce() {
        LibxlStats before = ctx.stats();
        PollRequest req = ctx.beforePoll();
        req.fill(fds, 0);
        fds.poll(req.size(), 0);
        ctx.afterPoll(req, fds, 0);
        LibxlStats after = ctx.stats();
        return after.fdEventsDelivered() != before.fdEventsDelivered()
                || after.timeoutsFired() != before.timeoutsFired();
    }

    /** I4 and I10 at quiescence: nothing pending in the operations, the watches or the ctx. */
    void assertQuiescent() {
        DomainsStats s = doms.stats();
        assertThat(s.inProgress()).as("operations in progress").isZero();
        assertThat(s.registeredWatches()).as("live xenstore watches").isZero();
        assertThat(s.storeFdWatched()).as("store fd watched").isFalse();
        assertThat(s.violations()).as("I10 violations").isZero();
        LibxlStats c = ctx.stats();
        assertThat(c.registeredTimeEvents()).as("registered time events").isZero();
        assertThat(c.registeredFdEvents()).as("registered fd events").isZero();
        assertThat(c.busyNexi()).as("busy nexi").isZero();
    }

    @Override
    public void close() {
        doms.close();
        ctx.close();
        host.close();
        fds.close();
    }
}
