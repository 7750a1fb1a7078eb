package com.example.xlbridge;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.xlbridge.junit.DriverInvariantChecker;
import org.xlbridge.junit.DriverInvariantChecker.TrackedOperation;
import org.xlbridge.junit.XlbridgeDriver;
import org.xlbridge.junit.XlbridgeDriverTest;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.TimeEvent;

/**
 * A user's driver test written against the xlbridge JUnit kit only. It waits the way libxl's operations
 * wait: for a guest's answer or a timeout, whichever comes first, the other then deregistered — under the
 * fixed protocol that is timeout_modify(ASAP) racing a dispatch that may already be running. It runs once on
 * each loop (manual virtual time, the pooled hostile dispatcher, the embedded loop); the kit checks I1–I8 on
 * its own, and I9/I10 from what the test declares and records.
 */
class GuestAnswerOrTimeoutTest {

    @XlbridgeDriverTest
    void eachOperationEndsOnceWhicheverComesFirst(XlbridgeDriver driver) {
        LibxlContext ctx = driver.context();
        DriverInvariantChecker checker = driver.checker();
        AtomicInteger ended = new AtomicInteger();
        List<TrackedOperation> operations = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            String domain = "dom" + i;
            TrackedOperation op = checker.operation("shutdown " + domain);
            operations.add(op);
            checker.expectEvents("lifecycle", domain, "shutdown requested", "shutdown ended");
            TimeEvent answer = ctx.newTimeEvent();
            TimeEvent timeout = ctx.newTimeEvent();
            // Some guests answer before the timeout, some after, some at the same millisecond (the race).
            long answerMs = 1 + (i * 7) % 20;
            long timeoutMs = 1 + (i * 11) % 20;
            // The request is announced on the loop, then the operation starts waiting. A loop callback may be
            // dispatched twice at once (the pooled loop does it): only the first dispatch acts.
            AtomicBoolean requested = new AtomicBoolean();
            driver.loop().addTimeout(0, t -> {
                driver.loop().removeTimeout(t);
                if (!requested.compareAndSet(false, true)) {
                    return;
                }
                checker.recordEvent("lifecycle", domain, "shutdown requested");
                ctx.withLock(() -> {
                    answer.registerRel(answerMs, (ev, deadline, rc) -> {
                        op.ran("guest answer");
                        timeout.deregister();
                        end(checker, op, domain, "done", ended);
                    });
                    timeout.registerRel(timeoutMs, (ev, deadline, rc) -> {
                        op.ran("timeout");
                        answer.deregister();
                        end(checker, op, domain, "timed out", ended);
                    });
                });
            }, null);
        }
        driver.awaitUntil("30 operations ended", () -> ended.get() == 30);
        assertEquals(30, operations.stream().filter(TrackedOperation::isCompleted).count());
    }

    /** The example of docs/junit-kit.md, as it is printed there. */
    @XlbridgeDriverTest                               // runs on [manual], [pooled], [embedded]
    void answerOrTimeoutEndsOnce(XlbridgeDriver driver) {
        LibxlContext ctx = driver.context();
        DriverInvariantChecker checker = driver.checker();
        TrackedOperation op = checker.operation("shutdown dom1");          // I10: must end exactly once
        checker.expectEvents("lifecycle", "dom1", "shutdown ended");       // I9: exactly these, in order
        TimeEvent answer = ctx.newTimeEvent();
        TimeEvent timeout = ctx.newTimeEvent();
        ctx.withLock(() -> {
            answer.registerRel(5, (ev, deadline, rc) -> {
                op.ran("guest answer");
                timeout.deregister();                                      // modify(ASAP), racing its dispatch
                op.completed("done");
                checker.recordEvent("lifecycle", "dom1", "shutdown ended");
            });
            timeout.registerRel(5, (ev, deadline, rc) -> {
                op.ran("timeout");
                answer.deregister();
                op.completed("timed out");
                checker.recordEvent("lifecycle", "dom1", "shutdown ended");
            });
        });
        driver.awaitUntil("the operation ended", op::isCompleted);        // virtual or real time
    }

    private static void end(DriverInvariantChecker checker, TrackedOperation op, String domain, String outcome,
                            AtomicInteger ended) {
        op.completed(outcome);
        checker.recordEvent("lifecycle", domain, "shutdown ended");
        ended.incrementAndGet();
    }
}
