package org.xlbridge.libxl.ao;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.xlbridge.libxl.LibxlContext;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.xen.DomainState;
import org.xlbridge.xen.GuestScript;
import org.xlbridge.xen.SimHost;

/**
 * A synchronous operation on a ctx without hooks: the calling thread runs the ctx itself (beforePoll / poll /
 * afterPoll) until the operation completes, as libxl's synchronous calls do. Real time, short delays.
 */
class SynchronousPollOnlyTest {

    @Test
    void aSynchronousShutdownAndATimedOutOneReturnCompleted() {
        try (SimHost host = SimHost.realTime();
             LibxlContext ctx = LibxlContext.builder().build();
             LibxlDomains doms = new LibxlDomains(ctx, host, LibxlEventHooks.NONE)) {
            Ao create = doms.create(DomainConfig.of("sync", 65_536, 1, GuestScript.cooperative()
                    .withShutdownAnswerMs(20)), AoHow.synchronous());
            assertThat(create.rc()).isZero();
            Ao shutdown = doms.shutdown(create.domid(), 5_000, AoHow.synchronous());
            assertThat(shutdown.isComplete()).isTrue();
            assertThat(shutdown.rc()).isZero();
            assertThat(host.domainInfo(create.domid()).orElseThrow().state()).isEqualTo(DomainState.SHUTDOWN);

            Ao deaf = doms.create(DomainConfig.of("deaf", 65_536, 1, GuestScript.cooperative()
                    .withShutdownAnswerMs(GuestScript.NEVER)), AoHow.synchronous());
            long t0 = System.nanoTime();
            Ao timedOut = doms.shutdown(deaf.domid(), 30, AoHow.synchronous());
            assertThat(timedOut.rc()).isEqualTo(LibxlError.TIMEDOUT.code());
            assertThat(System.nanoTime() - t0).as("not before its timeout").isGreaterThanOrEqualTo(30_000_000L);
            assertThat(doms.stats().inProgress()).isZero();
            assertThat(doms.stats().registeredWatches()).isZero();
            assertThat(ctx.stats().registeredTimeEvents()).isZero();
        }
    }
}
