package org.xlbridge.junit;

import com.google.inject.Module;
import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.TestTemplate;
import org.junit.jupiter.api.extension.ExtendWith;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * Runs the annotated method once per loop in {@link #loops()}, each time on a fresh driver built through the
 * production Guice modules on that loop, with the kit's invariant checker attached. The method takes an
 * {@link XlbridgeDriver} parameter (also resolvable: {@link DriverInvariantChecker}, {@link DriverLoop},
 * {@link org.xlbridge.libxl.LibxlContext}). After the method (and the class's {@code @AfterEach} methods) the
 * kit quiesces the driver, checks I1–I10 as far as it can see them, closes the driver, and fails the
 * invocation listing each violated invariant with samples.
 *
 * <pre>{@code
 * @XlbridgeDriverTest
 * void deregisteredTimeoutsNeverFire(XlbridgeDriver driver) {
 *     TimeEvent e = driver.context().newTimeEvent();
 *     e.registerRel(50, (ev, deadline, rc) -> fail("deregistered event fired"));
 *     driver.context().withLock(e::deregister);
 * }
 * }</pre>
 */
@Target({ElementType.METHOD, ElementType.ANNOTATION_TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Documented
@TestTemplate
@ExtendWith(XlbridgeDriverExtension.class)
public @interface XlbridgeDriverTest {
    /** The loops to run on, one invocation each; all three by default. */
    DriverLoop[] loops() default {DriverLoop.MANUAL, DriverLoop.POOLED, DriverLoop.EMBEDDED};

    /** How libxl gets rid of timeouts; the fixed protocol by default. */
    DeregistrationProtocol protocol() default DeregistrationProtocol.ASAP_MODIFY;

    /** Dispatch threads of the pooled loop. */
    int dispatchThreads() default 4;

    /** Each pooled dispatch waits a random 0..this many µs first. */
    long poolMaxDelayMicros() default 200;

    /** How long each teardown step may take (the runtime's drain timeout, and the kit's waits), in ms. */
    long drainTimeoutMs() default 2000;

    /** How long past its deadline a timeout may still be armed when the test returns (I5), in ms. */
    long livenessBoundMs() default 2000;

    /** How many register hooks to probe for reentrancy (I6). */
    int reentrancyProbes() default 4;

    /**
     * Whether callbacks that throw are allowed. By default a loop callback, a free or a libxl event callback
     * that throws fails the test: the loop and the ctx log and swallow such exceptions, so an assertion made
     * inside a callback would otherwise be lost.
     */
    boolean allowCallbackFailures() default false;

    /** Further Guice modules for the driver's injector (public or nested classes with a no-argument constructor). */
    Class<? extends Module>[] modules() default {};
}
