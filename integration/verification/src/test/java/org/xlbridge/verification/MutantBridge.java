package org.xlbridge.verification;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.libxl.FdToken;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.OsEventHookException;
import org.xlbridge.libxl.OsEventHooks;
import org.xlbridge.libxl.TimeoutToken;

/**
 * A small timeout bridge with a mutation switch: with {@link Mutation#NONE} it follows Contract 3's
 * protocol (once-only guard, modify(ASAP) ignored while firing, the registration released only by the
 * loop's free); each other value puts back one mistake a bridge author could make, so the exploration
 * can be shown to catch it. Test code only: production uses {@code OsEventBridge}, which this does not
 * copy (no listener, no stats, no fds).
 *
 * <p>Locking: no lock. A registration's state is an atomic; {@code freed} is volatile and set once;
 * counters are atomics. Hooks are called by the ctx with its lock held and call only into the loop;
 * loop callbacks call into the ctx (lock order ctx → loop, as in the real bridge).
 */
final class MutantBridge implements OsEventHooks {

    /** The mistakes. */
    enum Mutation {
        /** The correct protocol. */
        NONE,
        /** Every dispatch delivers occurredTimeout: no ARMED→FIRING compare-and-set. */
        NO_ONCE_GUARD,
        /**
         * modify(ASAP) on a registration already firing removes the timer and releases the registration at
         * once ("it is finished anyway") instead of leaving that to the loop's free, which runs only after
         * the running callback returned.
         */
        FREE_BEFORE_CALLBACK_RETURNED,
        /** modify(ASAP) is forwarded whatever the state: it re-arms a registration a dispatch is delivering. */
        MODIFY_FORWARDED_WHILE_FIRING,
        /**
         * modify(ASAP) is answered at once: a helper thread hands the token back to libxl immediately, so
         * the ctx recycles the nexus at once, while a dispatch already under way still delivers its call.
         */
        NEXUS_RECYCLED_AT_ONCE
    }

    private static final int ARMED = 0;
    private static final int FIRING = 1;
    private static final int DONE = 2;

    /** One registration ("for_app"). */
    static final class Reg {
        final TimeoutToken token;
        // Written once by the register hook before the object is handed to libxl.
        int timer;
        final AtomicInteger state = new AtomicInteger(ARMED);
        // Set once, by the loop's free (or by a mutant too early).
        volatile boolean freed;

        Reg(TimeoutToken token) {
            this.token = token;
        }
    }

    private final EventLoop loop;
    private final Mutation mutation;
    // Set once by attach(), before any hook runs.
    private volatile LibxlContext ctx;
    private final AtomicInteger live = new AtomicInteger();
    private final AtomicLong violations = new AtomicLong();
    // The first violation seen, for the failure message.
    private volatile String firstViolation;
    // Guarded by itself: the helper threads of NEXUS_RECYCLED_AT_ONCE, joined by the scenario's drain.
    private final List<Thread> helpers = new ArrayList<>();

    MutantBridge(EventLoop loop, Mutation mutation) {
        this.loop = loop;
        this.mutation = mutation;
    }

    void attach(LibxlContext context) {
        this.ctx = context;
    }

    long violations() {
        return violations.get();
    }

    int liveTimeouts() {
        return live.get();
    }

    /** Joins the helper threads a mutant started. */
    void joinHelpers() throws InterruptedException {
        List<Thread> copy;
        synchronized (helpers) {
            copy = new ArrayList<>(helpers);
        }
        for (Thread t : copy) {
            t.join();
        }
    }

    @Override
    public Object timeoutRegister(long deadlineNanos, TimeoutToken token) {
        Reg reg = new Reg(token);
        long diff = deadlineNanos - ctx.timeSource().nanoTime();
        int ms = diff <= 0 ? 0 : (int) Math.min(Integer.MAX_VALUE, (diff + 999_999) / 1_000_000);
        reg.timer = loop.addTimeout(ms, t -> onTimer(reg, t), () -> onFree(reg));
        live.incrementAndGet();
        return reg;
    }

    @Override
    public Object timeoutModify(Object forApp, long deadlineNanos) {
        Reg reg = (Reg) forApp;
        if (reg.freed) {
            violation("modify of a freed registration");
            return reg;
        }
        switch (mutation) {
            case MODIFY_FORWARDED_WHILE_FIRING -> {
                reg.state.set(ARMED);
                loop.updateTimeout(reg.timer, 0);
            }
            case FREE_BEFORE_CALLBACK_RETURNED -> {
                if (reg.state.get() == ARMED) {
                    loop.updateTimeout(reg.timer, 0);
                } else {
                    loop.removeTimeout(reg.timer);
                    release(reg);
                }
            }
            case NEXUS_RECYCLED_AT_ONCE -> {
                reg.state.set(DONE);
                loop.removeTimeout(reg.timer);
                Thread helper = new Thread(() -> ctx.occurredTimeout(reg.token), "ack-at-once");
                synchronized (helpers) {
                    helpers.add(helper);
                }
                helper.start();
            }
            default -> {
                if (reg.state.get() == ARMED) {
                    loop.updateTimeout(reg.timer, 0);
                }
            }
        }
        return reg;
    }

    @Override
    public void timeoutDeregister(Object forApp) {
        Reg reg = (Reg) forApp;
        if (reg.state.compareAndSet(ARMED, DONE)) {
            loop.removeTimeout(reg.timer);
        }
    }

    private void onTimer(Reg reg, int timer) {
        if (mutation == Mutation.NO_ONCE_GUARD) {
            reg.state.set(FIRING);
        } else if (!reg.state.compareAndSet(ARMED, FIRING)) {
            return;
        }
        if (reg.freed) {
            violation("timer dispatch after free");
            return;
        }
        loop.updateTimeout(timer, -1);
        TimeoutToken token = reg.token;
        if (reg.freed) {
            violation("registration used after free by its own running callback");
        }
        ctx.occurredTimeout(token);
        reg.state.compareAndSet(FIRING, DONE);
        loop.removeTimeout(timer);
    }

    private void onFree(Reg reg) {
        if (reg.freed) {
            violation("double free");
            return;
        }
        release(reg);
    }

    private void release(Reg reg) {
        reg.freed = true;
        live.decrementAndGet();
    }

    private void violation(String what) {
        if (violations.getAndIncrement() == 0) {
            firstViolation = what;
        }
    }

    String firstViolation() {
        return firstViolation;
    }

    @Override
    public Object fdRegister(int fd, int events, FdToken token) throws OsEventHookException {
        throw new OsEventHookException(LibxlError.OSEVENT_REG_FAIL, "the mutant bridge models timeouts only");
    }

    @Override
    public Object fdModify(int fd, Object forApp, int events) throws OsEventHookException {
        throw new OsEventHookException(LibxlError.OSEVENT_REG_FAIL, "the mutant bridge models timeouts only");
    }

    @Override
    public void fdDeregister(int fd, Object forApp) {
        throw new IllegalStateException("the mutant bridge never registers fds");
    }
}
