package org.xlbridge.soak;

import java.util.SplittableRandom;
import org.xlbridge.libxl.FdToken;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.OsEventHookException;
import org.xlbridge.libxl.OsEventHooks;
import org.xlbridge.libxl.TimeoutToken;

/**
 * Fault {@link FaultKind#REG_FAIL}: osevent hooks that pass everything to the application's hooks (the
 * bridge) except that, at the plan's rate, they refuse a {@code timeoutRegister} or {@code fdRegister}
 * with {@code ERROR_OSEVENT_REG_FAIL} before the bridge sees it, as libvirt's hooks do when
 * {@code virEventAddTimeout} returns -1. libxl must then leave its state unchanged and return the error to
 * whoever was registering. Recovery is observed by the caller (its next registration succeeds).
 *
 * <p>Locking: the ctx calls hooks with its lock held, so {@link #random} is only ever used by one thread at
 * a time; the ledger is thread-safe.
 */
final class RefusingHooks implements OsEventHooks {
    private final OsEventHooks inner;
    private final FaultPlan plan;
    private final FaultLedger ledger;
    private final SplittableRandom random; // used under the ctx lock only

    RefusingHooks(OsEventHooks inner, FaultPlan plan, FaultLedger ledger, SplittableRandom random) {
        this.inner = inner;
        this.plan = plan;
        this.ledger = ledger;
        this.random = random;
    }

    private void maybeRefuse(String what) throws OsEventHookException {
        if (plan.roll(FaultKind.REG_FAIL, random)) {
            ledger.injected(FaultKind.REG_FAIL);
            throw new OsEventHookException(LibxlError.OSEVENT_REG_FAIL, "injected fault: " + what + " refused");
        }
    }

    @Override
    public Object fdRegister(int fd, int events, FdToken token) throws OsEventHookException {
        maybeRefuse("fd register");
        return inner.fdRegister(fd, events, token);
    }

    @Override
    public Object fdModify(int fd, Object forApp, int events) throws OsEventHookException {
        return inner.fdModify(fd, forApp, events);
    }

    @Override
    public void fdDeregister(int fd, Object forApp) {
        inner.fdDeregister(fd, forApp);
    }

    @Override
    public Object timeoutRegister(long deadlineNanos, TimeoutToken token) throws OsEventHookException {
        maybeRefuse("timeout register");
        return inner.timeoutRegister(deadlineNanos, token);
    }

    @Override
    public Object timeoutModify(Object forApp, long deadlineNanos) throws OsEventHookException {
        return inner.timeoutModify(forApp, deadlineNanos);
    }

    @Override
    public void timeoutDeregister(Object forApp) {
        inner.timeoutDeregister(forApp);
    }
}
