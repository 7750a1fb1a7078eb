package org.xlbridge.libxl.ao;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xlbridge.libxl.LibxlError;
import org.xlbridge.libxl.LibxlException;
import org.xlbridge.libxl.xs.XsWait;
import org.xlbridge.libxl.xs.XsWatch;
import org.xlbridge.libxl.xs.XsWatchCallback;
import org.xlbridge.xen.DomainState;
import org.xlbridge.xen.GuestScript;

/**
 * Bad input: each gets libxl's error code and a message naming the problem, and leaves the host and the ctx as they
 * were (no operation pending, no live watch, nothing registered with the ctx).
 */
class BadInputTest {
    private final SimWorld w = new SimWorld();
    private final Completions c = new Completions();

    @AfterEach
    void close() {
        w.close();
    }

    private int running(String name, GuestScript script) {
        Ao ao = w.doms.create(DomainConfig.of(name, 65_536, 1, script), c.how());
        w.settle();
        c.assertDone(ao, 0);
        return ao.domid();
    }

    private void assertRefused(Supplier<?> call, LibxlError error, String messagePart) {
        w.settle();
        DomainsStats before = w.doms.stats();
        org.xlbridge.libxl.LibxlStats ctxBefore = w.ctx.stats();
        List<org.xlbridge.xen.DomainInfo> domainsBefore = w.host.domains();
        assertThatThrownBy(call::get).isInstanceOfSatisfying(LibxlException.class,
                e -> assertThat(e.error()).isEqualTo(error)).hasMessageContaining(messagePart);
        DomainsStats after = w.doms.stats();
        assertThat(after.started()).as("no operation was started").isEqualTo(before.started());
        assertThat(after.inProgress()).as("operations in progress").isEqualTo(before.inProgress());
        assertThat(after.registeredWatches()).as("live watches").isEqualTo(before.registeredWatches());
        assertThat(after.violations()).isZero();
        assertThat(w.ctx.stats().registeredTimeEvents()).as("time events")
                .isEqualTo(ctxBefore.registeredTimeEvents());
        assertThat(w.ctx.stats().registeredFdEvents()).as("fd events").isEqualTo(ctxBefore.registeredFdEvents());
        assertThat(w.host.domains()).as("the host is unchanged").isEqualTo(domainsBefore);
    }

    @Test
    void unknownDomid() {
        AoHow how = c.how();
        String msg = "no domain with id 42";
        assertRefused(() -> w.doms.shutdown(42, 100, how), LibxlError.DOMAIN_NOTFOUND, msg);
        assertRefused(() -> w.doms.reboot(42, 100, how), LibxlError.DOMAIN_NOTFOUND, msg);
        assertRefused(() -> w.doms.destroy(42, how), LibxlError.DOMAIN_NOTFOUND, msg);
        assertRefused(() -> w.doms.pause(42, how), LibxlError.DOMAIN_NOTFOUND, msg);
        assertRefused(() -> w.doms.unpause(42, how), LibxlError.DOMAIN_NOTFOUND, msg);
        assertRefused(() -> w.doms.diskAttach(42, new DiskConfig(51712, "xvda", "/x"), how),
                LibxlError.DOMAIN_NOTFOUND, msg);
        assertRefused(() -> w.doms.diskDetach(42, 51712, how), LibxlError.DOMAIN_NOTFOUND, msg);
        assertRefused(() -> w.doms.evenableDomainDeath(42), LibxlError.DOMAIN_NOTFOUND, msg);
        assertThat(c.calls).as("no callback for a refused operation").isEmpty();
        w.assertQuiescent();
    }

    @Test
    void wrongState() {
        int d = running("ws", GuestScript.cooperative().withShutdownAnswerMs(GuestScript.NEVER));
        assertRefused(() -> w.doms.unpause(d, c.how()), LibxlError.INVAL, "is RUNNING");
        c.assertDone(w.doms.pause(d, c.how()), 0);
        assertRefused(() -> w.doms.pause(d, c.how()), LibxlError.INVAL, "is PAUSED");
        // A paused guest is asked to shut down or reboot as a running one is (libxl writes the request).
        Ao shutdown = w.doms.shutdown(d, 100, c.how());
        w.advance(100);
        c.assertDone(shutdown, LibxlError.TIMEDOUT.code());
        Ao destroy = w.doms.destroy(d, c.how());
        w.settle();
        c.assertDone(destroy, 0);
        w.assertQuiescent();
    }

    @Test
    void aDomainThatIsDyingCannotBeShutDownPausedOrGivenADisk() {
        int d = running("dy", GuestScript.cooperative().withReleaseDelayMs(GuestScript.NEVER));
        Ao destroy = w.doms.destroy(d, c.how());
        assertRefused(() -> w.doms.shutdown(d, 100, c.how()), LibxlError.INVAL, "is DYING");
        assertRefused(() -> w.doms.pause(d, c.how()), LibxlError.INVAL, "is DYING");
        assertRefused(() -> w.doms.diskAttach(d, new DiskConfig(51712, "xvda", "/x"), c.how()), LibxlError.INVAL,
                "is DYING");
        w.advance(LibxlDomains.DESTROY_TIMEOUT_MS);
        c.assertDone(destroy, LibxlError.TIMEDOUT.code());
        w.assertQuiescent();
    }

    @Test
    void duplicateNameBadConfigAndNegativeTimeout() {
        int d = running("dup", GuestScript.cooperative());
        assertRefused(() -> w.doms.create(DomainConfig.of("dup", 65_536, 1, GuestScript.cooperative()), c.how()),
                LibxlError.INVAL, "'dup' is already used by domain " + d);
        assertRefused(() -> w.doms.create(DomainConfig.of("bad name", 65_536, 1, GuestScript.cooperative()),
                c.how()), LibxlError.INVAL, "bad domain name");
        assertRefused(() -> w.doms.create(DomainConfig.of("zero", 0, 1, GuestScript.cooperative()), c.how()),
                LibxlError.INVAL, "memory and vcpus must be positive");
        assertRefused(() -> w.doms.create(DomainConfig.of("twice", 65_536, 1, GuestScript.cooperative())
                .withDisk(new DiskConfig(1, "xvda", "/a")).withDisk(new DiskConfig(1, "xvdb", "/b")), c.how()),
                LibxlError.INVAL, "devid 1 given twice");
        assertRefused(() -> w.doms.shutdown(d, -1, c.how()), LibxlError.INVAL, "timeout must not be negative");
        assertThatThrownBy(() -> w.doms.shutdown(d, 100, null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("ao how must not be null");
        w.assertQuiescent();
    }

    @Test
    void deviceExistsAndUnknownDevice() {
        int d = running("dev", GuestScript.cooperative().withBackendAnswerMs(1));
        Ao att = w.doms.diskAttach(d, new DiskConfig(51712, "xvda", "/x"), c.how());
        w.advance(1);
        c.assertDone(att, 0);
        assertRefused(() -> w.doms.diskAttach(d, new DiskConfig(51712, "xvda", "/y"), c.how()),
                LibxlError.DEVICE_EXISTS, "already has a device 51712");
        assertRefused(() -> w.doms.diskDetach(d, 99, c.how()), LibxlError.NOTFOUND, "has no device 99");
        w.assertQuiescent();
    }

    @Test
    void abortOfAFinishedOperation() {
        int d = running("ab", GuestScript.cooperative());
        Ao pause = w.doms.pause(d, c.how());
        c.assertDone(pause, 0);
        assertThatThrownBy(() -> w.doms.abort(pause)).isInstanceOfSatisfying(LibxlException.class,
                e -> assertThat(e.error()).isEqualTo(LibxlError.NOTFOUND))
                .hasMessageContaining("is not in progress (it already completed)");
        assertThat(c.count(pause)).as("still completed once").isEqualTo(1);
        assertThat(pause.rc()).isZero();
        w.assertQuiescent();
    }

    @Test
    void aWaitOnAPathThatIsRemovedEndsWithInval() {
        int d = running("rm", GuestScript.cooperative().withBackendAnswerMs(1));
        Ao att = w.doms.diskAttach(d, new DiskConfig(51712, "xvda", "/x"), c.how());
        w.advance(1);
        c.assertDone(att, 0);
        // Stop the backend from answering the detach, then remove the device's backend directory under the wait.
        Ao det;
        w.host.store().write("/local/domain/0/backend/vbd/" + d + "/51712/state", "3");
        det = w.doms.diskDetach(d, 51712, c.how());
        w.host.store().rm("/local/domain/0/backend/vbd/" + d + "/51712");
        w.settle();
        c.assertDone(det, LibxlError.INVAL.code());
        w.advance(LibxlDomains.DESTROY_TIMEOUT_MS);
        w.assertQuiescent();
    }

    @Test
    void aWatchOnARemovedPathFiresWithThatPathAndAnXswaitSeesNoValue() {
        w.host.store().write("/test/node/leaf", "1");
        List<String> fired = new java.util.concurrent.CopyOnWriteArrayList<>();
        XsWatch watch = w.doms.watcher().newWatch();
        watch.register("/test/node/leaf", (XsWatchCallback) (wt, watchPath, eventPath) -> fired.add(eventPath));
        String[] seen = {"unset"};
        XsWait wait = new XsWait(w.doms.watcher());
        wait.start("leaf", "/test/node/leaf", 1_000, (xw, rc, data) -> seen[0] = rc + ":" + data);
        w.settle();
        assertThat(fired).containsExactly("/test/node/leaf");
        assertThat(seen[0]).isEqualTo("0:1");
        w.host.store().rm("/test/node"); // the parent goes: the watch on the child fires with its own path
        w.settle();
        assertThat(fired).containsExactly("/test/node/leaf", "/test/node/leaf");
        assertThat(seen[0]).isEqualTo("0:null");
        wait.stop();
        watch.deregister();
        w.assertQuiescent();
    }

    @Test
    void theStoresFdClosingUnderTheCtxFailsWhatWaitsAndLeavesNothingBehind() {
        int d = running("lost", GuestScript.cooperative().withShutdownAnswerMs(GuestScript.NEVER)
                .withBackendAnswerMs(GuestScript.NEVER));
        DomainDeathWatch dw = w.doms.evenableDomainDeath(d);
        Ao shutdown = w.doms.shutdown(d, 5_000, c.how());
        Ao attach = w.doms.diskAttach(d, new DiskConfig(51712, "xvda", "/x"), c.how());
        w.settle();
        assertThat(w.doms.stats().registeredWatches()).isEqualTo(3);

        w.doms.watcher().connection().killWriter();
        w.settle();

        c.assertDone(shutdown, LibxlError.FAIL.code());
        c.assertDone(attach, LibxlError.FAIL.code());
        assertThat(w.doms.watcher().isLost()).isTrue();
        assertThat(w.doms.stats().deathWatches()).isZero();
        assertThat(dw.deathReported()).isFalse();
        w.assertQuiescent();
        assertThat(w.host.domainInfo(d).orElseThrow().state()).as("the host is untouched")
                .isEqualTo(DomainState.RUNNING);

        assertRefused(() -> w.doms.shutdown(d, 100, c.how()), LibxlError.FAIL, "lost: its writer is gone");
        assertRefused(() -> w.doms.evenableDomainDeath(d), LibxlError.FAIL, "the xenstore connection is lost");
        w.assertQuiescent();
    }
}
