package org.xlbridge.soak;

import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.ForwardingEventLoop;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;

/**
 * Fault {@link FaultKind#CALLBACK_THROW}: a view of the soak's loop whose callbacks, at the plan's rate,
 * throw after they did their work — a bug in an application callback. The loop must log it, count it
 * ({@code EventLoopStats.callbackFailures}) and go on dispatching; nothing the callback did may be lost.
 * Recovered: the loop dispatched another callback of this view after the throw (one such dispatch
 * recovers every throw since the previous one).
 *
 * <p>The view is handed to a workload in place of the loop; registrations go to the wrapped loop with
 * wrapped callbacks, so the loop's own counters and ids are unchanged.
 *
 * <p>Locking: the loop dispatches on one thread, but a pooled dispatcher may use several, so
 * {@link #random} is used under its own monitor; {@link #thrownSinceDispatch} is atomic.
 */
final class ThrowingCallbacksLoop extends ForwardingEventLoop {
    /** What a callback of this view throws. */
    static final class InjectedFault extends RuntimeException {
        InjectedFault() {
            super("injected fault: callback throws after its work (soak " + FaultKind.CALLBACK_THROW.key() + ")",
                    null, false, false);
        }
    }

    private final FaultPlan plan;
    private final FaultLedger ledger;
    private final SplittableRandom random; // guarded by itself
    private final AtomicInteger thrownSinceDispatch = new AtomicInteger();

    ThrowingCallbacksLoop(EventLoop loop, FaultPlan plan, FaultLedger ledger, SplittableRandom random) {
        super(loop);
        this.plan = plan;
        this.ledger = ledger;
        this.random = random;
    }

    private void afterCallback() {
        for (int n = thrownSinceDispatch.getAndSet(0); n > 0; n--) {
            ledger.recovered(FaultKind.CALLBACK_THROW);
        }
        boolean fault;
        synchronized (random) {
            fault = plan.roll(FaultKind.CALLBACK_THROW, random);
        }
        if (fault) {
            ledger.injected(FaultKind.CALLBACK_THROW);
            thrownSinceDispatch.incrementAndGet();
            throw new InjectedFault();
        }
    }

    @Override
    public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
        if (cb == null || !plan.enabled(FaultKind.CALLBACK_THROW)) {
            return super.addTimeout(frequencyMs, cb, ff);
        }
        return super.addTimeout(frequencyMs, timer -> {
            cb.onTimeout(timer);
            afterCallback();
        }, ff);
    }

    @Override
    public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
        if (cb == null || !plan.enabled(FaultKind.CALLBACK_THROW)) {
            return super.addHandle(fd, events, cb, ff);
        }
        return super.addHandle(fd, events, (watch, hfd, revents) -> {
            cb.onEvent(watch, hfd, revents);
            afterCallback();
        }, ff);
    }

    @Override
    public String toString() {
        return delegate().toString();
    }
}
