package org.xlbridge.libxl.ao;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.xen.DomainState;
import org.xlbridge.xen.GuestScript;
import org.xlbridge.xen.ShutdownReason;

/** Every operation, its timeout and its abort, on a poll-only ctx and virtual time. */
class LibxlDomainsTest {
    private static final int OK = 0;
    private static final int TIMEDOUT = LibxlError.TIMEDOUT.code();
    private static final int ABORTED = LibxlError.ABORTED.code();

    private final SimWorld w = new SimWorld();
    private final Completions c = new Completions();

    @AfterEach
    void close() {
        w.close();
    }

    private int createRunning(String name, GuestScript script) {
        Ao ao = w.doms.create(DomainConfig.of(name, 262_144, 2, script), c.how());
        w.settle();
        c.assertDone(ao, OK);
        return ao.domid();
    }

    @Test
    void createWithADiskReportsProgressAttachesAndRuns() {
        DomainConfig cfg = DomainConfig.of("web", 524_288, 2, GuestScript.cooperative().withBackendAnswerMs(30))
                .withDisk(new DiskConfig(51712, "xvda", "/images/web.img"));
        Ao ao = w.doms.create(cfg, c.how());
        int domid = ao.domid();
        assertThat(w.host.domainInfo(domid).orElseThrow().state()).as("paused while devices attach")
                .isEqualTo(DomainState.PAUSED);
        w.advance(29);
        c.assertPending(ao);
        w.advance(1);
        c.assertDone(ao, OK);
        assertThat(c.progress).containsExactly("domain-built", "devices-ready", "running");
        assertThat(w.host.domainInfo(domid).orElseThrow().state()).isEqualTo(DomainState.RUNNING);
        assertThat(w.host.store().read("/local/domain/0/backend/vbd/" + domid + "/51712/state")).isEqualTo("4");
        assertThat(w.host.store().read("/local/domain/" + domid + "/name")).isEqualTo("web");
        w.assertQuiescent();
    }

    /**
     * A domain destroyed with a disk attached leaves nothing in xenstore (libxl's destroy removes the device
     * backends): a long run that destroys such domains would otherwise grow the store with every domid.
     */
    @Test
    void destroyingADomainWithADiskLeavesNothingInTheStore() {
        int before = -1;
        for (int i = 0; i < 4; i++) {
            if (i == 1) {
                before = w.host.store().nodeCount(); // after the first, which made the backend's parent nodes
            }
            int domid = createRunning("leaky" + i, GuestScript.cooperative());
            Ao attach = w.doms.diskAttach(domid, new DiskConfig(51728, "xvdb", "/images/b.img"), c.how());
            w.advance(1);
            c.assertDone(attach, OK);
            Ao destroy = w.doms.destroy(domid, c.how());
            w.advance(1);
            c.assertDone(destroy, OK);
        }
        assertThat(w.host.store().nodeCount()).as("xenstore nodes after three domains came and went")
                .isEqualTo(before);
        w.assertQuiescent();
    }

    @Test
    void shutdownCompletesWhenTheGuestAnswersAndReportsTheEvent() {
        int domid = createRunning("a", GuestScript.cooperative().withShutdownAnswerMs(100));
        DomainDeathWatch dw = w.doms.evenableDomainDeath(domid);
        Ao ao = w.doms.shutdown(domid, 1_000, c.how());
        w.advance(99);
        c.assertPending(ao);
        w.advance(1);
        c.assertDone(ao, OK);
        assertThat(w.host.domainInfo(domid).orElseThrow().state()).isEqualTo(DomainState.SHUTDOWN);
        assertThat(w.events).containsExactly(new LibxlEvent(LibxlEventType.DOMAIN_SHUTDOWN, domid,
                w.host.domainInfo(domid).orElseThrow().uuid(), ShutdownReason.POWEROFF));
        dw.disable();
        w.assertQuiescent();
    }

    @Test
    void shutdownOfAGuestThatIgnoresItTimesOut() {
        int domid = createRunning("deaf", GuestScript.cooperative().withShutdownAnswerMs(GuestScript.NEVER));
        Ao ao = w.doms.shutdown(domid, 500, c.how());
        w.advance(499);
        c.assertPending(ao);
        w.advance(1);
        c.assertDone(ao, TIMEDOUT);
        assertThat(w.host.domainInfo(domid).orElseThrow().state()).isEqualTo(DomainState.RUNNING);
        w.assertQuiescent();
    }

    @Test
    void rebootWaitsForTheGuestAndRunsItAgain() {
        int domid = createRunning("r", GuestScript.cooperative().withRebootAnswerMs(50));
        DomainDeathWatch dw = w.doms.evenableDomainDeath(domid);
        Ao ao = w.doms.reboot(domid, 1_000, c.how());
        w.advance(50);
        c.assertDone(ao, OK);
        assertThat(w.host.domainInfo(domid).orElseThrow().state()).isEqualTo(DomainState.RUNNING);
        assertThat(w.events).extracting(LibxlEvent::type, LibxlEvent::shutdownReason)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(LibxlEventType.DOMAIN_SHUTDOWN,
                        ShutdownReason.REBOOT));
        dw.disable();
        w.assertQuiescent();
    }

    /** The restart of a reboot is a new life: its later crash is news for the death watch. */
    @Test
    void aCrashAfterARebootIsReported() {
        int domid = createRunning("rc", GuestScript.cooperative().withRebootAnswerMs(50));
        DomainDeathWatch dw = w.doms.evenableDomainDeath(domid);
        Ao ao = w.doms.reboot(domid, 1_000, c.how());
        w.advance(50);
        c.assertDone(ao, OK);
        assertThat(w.host.crash(domid)).isTrue();
        w.advance(1);
        assertThat(w.events).extracting(LibxlEvent::type, LibxlEvent::shutdownReason).containsExactly(
                org.assertj.core.groups.Tuple.tuple(LibxlEventType.DOMAIN_SHUTDOWN, ShutdownReason.REBOOT),
                org.assertj.core.groups.Tuple.tuple(LibxlEventType.DOMAIN_SHUTDOWN, ShutdownReason.CRASH));
        dw.disable();
        w.assertQuiescent();
    }

    @Test
    void rebootOfAGuestThatCrashesInsteadFails() {
        int domid = createRunning("c", GuestScript.cooperative().withRebootAnswerMs(GuestScript.NEVER)
                .withCrashAtMs(300));
        Ao ao = w.doms.reboot(domid, 1_000, c.how());
        w.advance(300);
        c.assertDone(ao, LibxlError.FAIL.code());
        assertThat(w.host.domainInfo(domid).orElseThrow().state()).isEqualTo(DomainState.CRASHED);
        w.assertQuiescent();
    }

    @Test
    void destroyAbortsWhatIsInFlightThenWaitsForTheRelease() {
        int domid = createRunning("d", GuestScript.cooperative().withShutdownAnswerMs(GuestScript.NEVER)
                .withReleaseDelayMs(200));
        DomainDeathWatch dw = w.doms.evenableDomainDeath(domid);
        Ao shutdown = w.doms.shutdown(domid, 5_000, c.how());
        Ao destroy = w.doms.destroy(domid, c.how());
        c.assertDone(shutdown, ABORTED);
        c.assertPending(destroy);
        w.advance(199);
        c.assertPending(destroy);
        w.advance(1);
        c.assertDone(destroy, OK);
        assertThat(w.host.domainInfo(domid)).isEmpty();
        assertThat(w.host.store().read("/local/domain/" + domid)).isNull();
        assertThat(w.events).extracting(LibxlEvent::type).containsExactly(LibxlEventType.DOMAIN_DEATH);
        assertThat(c.order).containsExactly("CREATE:0", "SHUTDOWN:" + ABORTED, "DESTROY:0");
        dw.disable();
        w.assertQuiescent();
    }

    @Test
    void destroyOfADomainTheHostNeverReleasesTimesOutAfterLibxlsDestroyTimeout() {
        int domid = createRunning("stuck", GuestScript.cooperative().withReleaseDelayMs(GuestScript.NEVER));
        Ao ao = w.doms.destroy(domid, c.how());
        w.advance(LibxlDomains.DESTROY_TIMEOUT_MS - 1);
        c.assertPending(ao);
        w.advance(1);
        c.assertDone(ao, TIMEDOUT);
        assertThat(w.host.domainInfo(domid).orElseThrow().state()).isEqualTo(DomainState.DYING);
        w.assertQuiescent();
    }

    @Test
    void pauseAndUnpauseCompleteAtOnceASlowPauseWaitsForTheHost() {
        int fast = createRunning("fast", GuestScript.cooperative());
        Ao p = w.doms.pause(fast, c.how());
        c.assertDone(p, OK);
        assertThat(w.host.domainInfo(fast).orElseThrow().state()).isEqualTo(DomainState.PAUSED);
        Ao u = w.doms.unpause(fast, c.how());
        c.assertDone(u, OK);
        assertThat(w.host.domainInfo(fast).orElseThrow().state()).isEqualTo(DomainState.RUNNING);

        int slow = createRunning("slow", GuestScript.cooperative().withPauseDelayMs(700));
        Ao sp = w.doms.pause(slow, c.how());
        w.advance(699);
        c.assertPending(sp);
        w.advance(1);
        c.assertDone(sp, OK);
        assertThat(w.host.domainInfo(slow).orElseThrow().state()).isEqualTo(DomainState.PAUSED);
        w.assertQuiescent();
    }

    @Test
    void diskAttachAndDetachWaitForTheBackend() {
        int domid = createRunning("disks", GuestScript.cooperative().withBackendAnswerMs(20));
        Ao att = w.doms.diskAttach(domid, new DiskConfig(51728, "xvdb", "/images/data.img"), c.how());
        w.advance(20);
        c.assertDone(att, OK);
        Ao det = w.doms.diskDetach(domid, 51728, c.how());
        w.advance(20);
        c.assertDone(det, OK);
        assertThat(w.host.store().read("/local/domain/0/backend/vbd/" + domid + "/51728")).isNull();
        assertThat(w.host.store().read("/local/domain/" + domid + "/device/vbd/51728")).isNull();
        w.assertQuiescent();
    }

    @Test
    void aBackendThatNeverAnswersTimesOutAfterTheHotplugTimeoutAndLeavesNoEntries() {
        int domid = createRunning("nobe", GuestScript.cooperative().withBackendAnswerMs(GuestScript.NEVER));
        Ao att = w.doms.diskAttach(domid, new DiskConfig(51728, "xvdb", "/x"), c.how());
        w.advance(LibxlDomains.HOTPLUG_TIMEOUT_MS - 1);
        c.assertPending(att);
        w.advance(1);
        c.assertDone(att, TIMEDOUT);
        assertThat(w.host.store().read("/local/domain/0/backend/vbd/" + domid + "/51728")).isNull();
        w.assertQuiescent();
    }

    @Test
    void aDetachTheBackendNeverAnswersIsForcedAfterTheDestroyTimeout() {
        int domid = createRunning("det", GuestScript.cooperative().withBackendAnswerMs(5));
        Ao att = w.doms.diskAttach(domid, new DiskConfig(51728, "xvdb", "/x"), c.how());
        w.advance(5);
        c.assertDone(att, OK);
        // The backend stops answering: nobody moves Closing to Closed.
        w.host.store().addListener((p, v) -> { });
        Ao det = w.doms.diskDetach(domid, 51728, c.how());
        w.host.store().write("/local/domain/0/backend/vbd/" + domid + "/51728/state", "4"); // back to Connected
        w.advance(LibxlDomains.DESTROY_TIMEOUT_MS);
        c.assertDone(det, TIMEDOUT);
        assertThat(w.host.store().read("/local/domain/0/backend/vbd/" + domid + "/51728")).isNull();
        w.assertQuiescent();
    }

    @Test
    void createWhoseDiskNeverConnectsFailsAndDestroysTheHalfMadeDomain() {
        DomainConfig cfg = DomainConfig.of("half", 65_536, 1, GuestScript.cooperative()
                .withBackendAnswerMs(GuestScript.NEVER)).withDisk(new DiskConfig(51712, "xvda", "/i"));
        Ao ao = w.doms.create(cfg, c.how());
        int domid = ao.domid();
        w.advance(LibxlDomains.HOTPLUG_TIMEOUT_MS);
        c.assertDone(ao, TIMEDOUT);
        w.settle();
        assertThat(w.host.domainInfo(domid)).as("the half-made domain was destroyed and released").isEmpty();
        assertThat(c.progress).containsExactly("domain-built");
        w.assertQuiescent();
    }

    @Test
    void abortingACreateWaitingForItsDiskCompletesItAbortedOnce() {
        DomainConfig cfg = DomainConfig.of("ab", 65_536, 1, GuestScript.cooperative()
                .withBackendAnswerMs(GuestScript.NEVER)).withDisk(new DiskConfig(51712, "xvda", "/i"));
        Ao ao = w.doms.create(cfg, c.how());
        assertThat(w.doms.abort(ao)).isZero();
        c.assertDone(ao, ABORTED);
        w.advance(LibxlDomains.HOTPLUG_TIMEOUT_MS + 1);
        assertThat(c.count(ao)).isEqualTo(1);
        w.assertQuiescent();
    }

    @Test
    void eachOperationCanBeAbortedAndNothingOfItRunsAfterwards() {
        int a = createRunning("x1", GuestScript.cooperative().withShutdownAnswerMs(100).withRebootAnswerMs(100)
                .withBackendAnswerMs(100).withPauseDelayMs(100));
        List<Ao> aos = List.of(
                w.doms.diskAttach(a, new DiskConfig(51728, "xvdb", "/x"), c.how()),
                w.doms.shutdown(a, 1_000, c.how()));
        for (Ao ao : aos) {
            assertThat(w.doms.abort(ao)).isZero();
            c.assertDone(ao, ABORTED);
        }
        w.advance(2_000);
        c.assertEachOnce();
        w.assertQuiescent();
    }

    @Test
    void aSynchronousOperationFromInsideACallbackIsRefused() {
        int domid = createRunning("s", GuestScript.cooperative());
        Throwable[] seen = new Throwable[1];
        w.doms.pause(domid, AoHow.callback((ao, rc) -> {
            try {
                w.doms.unpause(domid, AoHow.synchronous());
            } catch (IllegalStateException e) {
                seen[0] = e;
            }
        }));
        assertThat(seen[0]).hasMessageContaining("synchronous operation must not be started from inside");
        assertThat(w.host.domainInfo(domid).orElseThrow().state()).isEqualTo(DomainState.PAUSED);
        w.assertQuiescent();
    }

    @Test
    void aSynchronousUnpauseReturnsItCompleted() {
        int domid = createRunning("sync", GuestScript.cooperative());
        c.assertDone(w.doms.pause(domid, c.how()), OK);
        Ao ao = w.doms.unpause(domid, AoHow.synchronous());
        assertThat(ao.isComplete()).isTrue();
        assertThat(ao.rc()).isZero();
        w.assertQuiescent();
    }
}
