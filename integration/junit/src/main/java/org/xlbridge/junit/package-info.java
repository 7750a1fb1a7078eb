/**
 * A JUnit 5 kit for driver integration tests: {@link org.xlbridge.junit.XlbridgeDriverTest} runs a test
 * method on the xlbridge driver built through Guice on each of the manual, pooled and embedded loops, with
 * {@link org.xlbridge.junit.DriverInvariantChecker} attached, and fails it on any violation of the
 * specification's invariants. The artifact also brings the {@code EventLoop} conformance suite
 * ({@code org.xlbridge.eventloop.conformance.EventLoopConformanceTest}) for a third-party loop's tests.
 * See {@code docs/junit-kit.md}.
 */
package org.xlbridge.junit;
