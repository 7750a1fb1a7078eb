package org.xlbridge.driver.lifecycle;

import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tag;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.stateful.ActionSequence;
import org.xlbridge.driver.lifecycle.LifecycleHarness.Flavour;
import org.xlbridge.driver.scenarios.RunningDriver;
import org.xlbridge.eventloop.libvirt.LibvirtEventLoop;

/**
 * The stateful property test of {@link DomainLifecyclePropertyTest} through the {@code libvirt} driver on
 * libvirt's own {@code test:///default}, on libvirt's default loop: where libvirt disagrees with
 * {@link LifecycleModel} on the operations both share, the model is wrong. The test driver's known lenient
 * differences are excluded explicitly (see {@link Flavour#LIBVIRT}); nothing else is.
 *
 * <p>Needs libvirt0 ({@code libvirt.so.0}): without it the run fails (it is not skipped), as CI requires every
 * class with {@code Libvirt} in its name to run.
 */
class DomainLifecycleLibvirtPropertyTest {
    private static RunningDriver driver;

    @BeforeContainer
    static void startLoop() {
        if (!LibvirtEventLoop.isAvailable()) {
            throw new IllegalStateException("libvirt.so.0 is not installed (Debian package libvirt0)");
        }
        driver = RunningDriver.start(new LibvirtEventLoop(), "lifecycle-libvirt-loop");
    }

    @AfterContainer
    static void stopLoop() {
        if (driver != null) {
            driver.close();
        }
    }

    @Property(tries = 30)
    void libvirtsTestDriverFollowsTheModel(@ForAll("sequences") ActionSequence<LifecycleHarness> actions) {
        run(actions);
    }

    @Property(tries = 200)
    @Tag("soak")
    void longRun(@ForAll("longSequences") ActionSequence<LifecycleHarness> actions) {
        run(actions);
    }

    private static void run(ActionSequence<LifecycleHarness> actions) {
        try (LifecycleHarness h = new LifecycleHarness(Flavour.LIBVIRT, () -> driver.manager().open("test:///default"),
                LifecycleActions.CLIENTS, new Jitter())) {
            actions.withInvariant(LifecycleHarness::check).run(h);
            h.checkQuiet();
        }
    }

    @Provide
    Arbitrary<ActionSequence<LifecycleHarness>> sequences() {
        return Arbitraries.sequences(LifecycleActions.actions(Flavour.LIBVIRT)).ofSize(30);
    }

    @Provide
    Arbitrary<ActionSequence<LifecycleHarness>> longSequences() {
        return Arbitraries.sequences(LifecycleActions.actions(Flavour.LIBVIRT)).ofSize(120);
    }
}
