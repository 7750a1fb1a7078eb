package org.xlbridge.xen;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The simulated hypervisor and its scripted guests and backends, on a manual clock. */
class SimHostTest {
    private final AtomicLong now = new AtomicLong();
    private final SimHost host = new SimHost(now::get);

    private void at(long ms) {
        now.set(ms * 1_000_000L);
        host.runDue();
    }

    private int running(GuestScript script) {
        int d = host.createDomain("g" + host.domainCount(), UUID.randomUUID(), 1024, 1, script);
        host.unpause(d);
        return d;
    }

    private DomainState state(int d) {
        return host.domainInfo(d).orElseThrow().state();
    }

    @Test
    void aGuestAnswersAShutdownRequestAfterItsDelay() {
        int d = running(GuestScript.cooperative().withShutdownAnswerMs(100));
        host.store().write("/local/domain/" + d + "/control/shutdown", "poweroff");
        assertThat(state(d)).isEqualTo(DomainState.SHUTTING_DOWN);
        at(99);
        assertThat(state(d)).isEqualTo(DomainState.SHUTTING_DOWN);
        at(100);
        assertThat(state(d)).isEqualTo(DomainState.SHUTDOWN);
        assertThat(host.domainInfo(d).orElseThrow().shutdownReason()).isEqualTo(ShutdownReason.POWEROFF);
    }

    @Test
    void aGuestThatIgnoresRequestsKeepsRunningAndOneThatCrashesCrashes() {
        int deaf = running(GuestScript.cooperative().withShutdownAnswerMs(GuestScript.NEVER));
        int crash = running(GuestScript.cooperative().withCrashAtMs(50));
        host.store().write("/local/domain/" + deaf + "/control/shutdown", "poweroff");
        at(1_000);
        assertThat(state(deaf)).isEqualTo(DomainState.RUNNING);
        assertThat(state(crash)).isEqualTo(DomainState.CRASHED);
        assertThat(host.domainInfo(crash).orElseThrow().shutdownReason()).isEqualTo(ShutdownReason.CRASH);
    }

    @Test
    void aGuestCanBeCrashedNowAndFiresReleaseDomain() throws InterruptedException {
        int d = running(GuestScript.cooperative());
        try (XsConnection toolstack = host.store().connect("toolstack")) {
            toolstack.watch(SimHost.RELEASE_DOMAIN, "t");
            assertThat(toolstack.awaitFlushed(5_000)).isTrue();
            toolstack.readWatchEvents(); // the initial firing of a new watch
            assertThat(host.crash(d)).isTrue();
            assertThat(toolstack.awaitFlushed(5_000)).isTrue();
            assertThat(state(d)).isEqualTo(DomainState.CRASHED);
            assertThat(host.domainInfo(d).orElseThrow().shutdownReason()).isEqualTo(ShutdownReason.CRASH);
            assertThat(toolstack.readWatchEvents()).extracting(XsWatchEvent::path).containsExactly(SimHost.RELEASE_DOMAIN);
            assertThat(host.crash(d)).as("a crashed guest does not crash again").isFalse();
            assertThat(toolstack.awaitFlushed(5_000)).isTrue();
            assertThat(toolstack.readWatchEvents()).isEmpty();
        }
        host.destroy(d);
        assertThat(host.crash(d)).as("a dying domain does not crash").isFalse();
        assertThatThrownBy(() -> host.crash(999)).isInstanceOf(XenException.class);
    }

    @Test
    void aSilencedGuestIgnoresOnlyItsNextRequest() {
        int d = running(GuestScript.cooperative().withShutdownAnswerMs(10).withRebootAnswerMs(10));
        assertThat(host.silenceNextRequest(d)).isTrue();
        host.store().write("/local/domain/" + d + "/control/shutdown", "reboot");
        at(1_000);
        assertThat(state(d)).as("the silenced request is ignored").isEqualTo(DomainState.RUNNING);
        host.store().write("/local/domain/" + d + "/control/shutdown", "poweroff");
        at(1_010);
        assertThat(state(d)).as("the next one is answered").isEqualTo(DomainState.SHUTDOWN);
        host.destroy(d);
        assertThat(host.silenceNextRequest(d)).isFalse();
    }

    @Test
    void slowPauseDestroyReleaseAndRestart() {
        int d = running(GuestScript.cooperative().withPauseDelayMs(30).withRebootAnswerMs(5).withReleaseDelayMs(40));
        assertThat(host.pause(d)).isFalse();
        at(29);
        assertThat(state(d)).isEqualTo(DomainState.RUNNING);
        at(30);
        assertThat(state(d)).isEqualTo(DomainState.PAUSED);
        host.unpause(d);
        host.store().write("/local/domain/" + d + "/control/shutdown", "reboot");
        at(35);
        assertThat(host.domainInfo(d).orElseThrow().shutdownReason()).isEqualTo(ShutdownReason.REBOOT);
        host.restart(d);
        assertThat(state(d)).isEqualTo(DomainState.RUNNING);
        host.destroy(d);
        assertThat(state(d)).isEqualTo(DomainState.DYING);
        at(74);
        assertThat(host.domainInfo(d)).isPresent();
        at(75);
        assertThat(host.domainInfo(d)).isEmpty();
        assertThat(host.findByName("g0")).isEmpty();
    }

    @Test
    void theBackendAnswersDeviceStateRequestsAfterItsDelayOrNever() {
        int d = running(GuestScript.cooperative().withBackendAnswerMs(10));
        int mute = running(GuestScript.cooperative().withBackendAnswerMs(GuestScript.NEVER));
        String p = "/local/domain/0/backend/vbd/" + d + "/51712/state";
        String q = "/local/domain/0/backend/vbd/" + mute + "/51712/state";
        host.store().write(p, "1");
        host.store().write(q, "1");
        at(10);
        assertThat(host.store().read(p)).isEqualTo("4");
        host.store().write(p, "5");
        at(20);
        assertThat(host.store().read(p)).isEqualTo("6");
        at(100_000);
        assertThat(host.store().read(q)).isEqualTo("1");
    }

    @Test
    void hypercallsOnUnknownDomainsOrInTheWrongStateAreRefused() {
        assertThatThrownBy(() -> host.pause(7)).isInstanceOfSatisfying(XenException.class,
                e -> assertThat(e.kind()).isEqualTo(XenException.Kind.NO_SUCH_DOMAIN));
        int d = running(GuestScript.cooperative());
        assertThatThrownBy(() -> host.unpause(d)).isInstanceOfSatisfying(XenException.class,
                e -> assertThat(e.kind()).isEqualTo(XenException.Kind.WRONG_STATE)).hasMessageContaining("RUNNING");
    }

    @Test
    void aRandomScriptIsReproducibleFromItsSeed() {
        assertThat(GuestScript.random(new Random(42), 500)).isEqualTo(GuestScript.random(new Random(42), 500));
        assertThatThrownBy(() -> new GuestScript(-2, 0, 0, 0, 0, 0)).isInstanceOf(IllegalArgumentException.class);
    }
}
