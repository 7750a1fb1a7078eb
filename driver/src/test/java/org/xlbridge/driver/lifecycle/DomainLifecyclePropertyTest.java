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
import org.xlbridge.driver.spi.DriverEnvironment;
import org.xlbridge.driver.spi.DriverManager;
import org.xlbridge.eventloop.conformance.Await;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * Stateful property tests of the {@code xl} driver against {@link LifecycleModel}: random sequences of calls
 * from three clients (define, create, shutdown, reboot, destroy, suspend, resume, undefine,
 * {@code Domains.shutdownOrDestroy}) on three names, with guests that answer, answer late (when the sequence
 * says), never answer, crash, or power off or reboot by themselves, checked after every step (each connection's
 * event sequence, state, lists, lookups) and shrunk to a minimal failing sequence.
 *
 * <p>{@link #xlDriverFollowsTheModel} is the bounded run of every build; {@link #longRun} (tag {@code soak},
 * {@code mvn -Psoak ...}) runs 300 sequences of 120 steps.
 */
class DomainLifecyclePropertyTest {
    static final String URI = "xl:///system?shutdownTimeoutMs=60000&rebootTimeoutMs=60000";
    private static final Jitter JITTER = new Jitter();
    private static PollEventLoop loop;
    private static Thread loopThread;

    @BeforeContainer
    static void startLoop() {
        loop = new PollEventLoop();
        loopThread = new Thread(loop::run, "lifecycle-property-loop");
        loopThread.setDaemon(true);
        loopThread.start();
    }

    @AfterContainer
    static void stopLoop() {
        loop.stop();
        Await.join(loopThread);
        loop.close();
    }

    @Property(tries = 40)
    void xlDriverFollowsTheModel(@ForAll("sequences") ActionSequence<LifecycleHarness> actions) {
        run(actions);
    }

    @Property(tries = 300)
    @Tag("soak")
    void longRun(@ForAll("longSequences") ActionSequence<LifecycleHarness> actions) {
        run(actions);
    }

    private static void run(ActionSequence<LifecycleHarness> actions) {
        DriverManager manager = new DriverManager(DriverEnvironment.of(JITTER.around(loop)));
        try (LifecycleHarness h = new LifecycleHarness(Flavour.XL, () -> manager.open(URI),
                LifecycleActions.CLIENTS, JITTER)) {
            actions.withInvariant(LifecycleHarness::check).run(h);
            h.checkQuiet();
        } finally {
            manager.close();
        }
    }

    @Provide
    Arbitrary<ActionSequence<LifecycleHarness>> sequences() {
        return Arbitraries.sequences(LifecycleActions.actions(Flavour.XL)).ofSize(30);
    }

    @Provide
    Arbitrary<ActionSequence<LifecycleHarness>> longSequences() {
        return Arbitraries.sequences(LifecycleActions.actions(Flavour.XL)).ofSize(120);
    }
}
