/**
 * Benchmarks of the event loops and of the hook bridge, measured beside libvirt's own default loop and
 * {@link java.util.concurrent.ScheduledThreadPoolExecutor} so every number comes with its anchors.
 *
 * <ul>
 *   <li>{@link org.xlbridge.bench.TimerBench} (JMH): cost of {@code updateTimeout} and of an add+remove
 *       pair with N live timers.</li>
 *   <li>{@link org.xlbridge.bench.HookRoundTripBench} (JMH): the full libxl hook round trip,
 *       register → modify(ASAP) → dispatch → stale {@code occurredTimeout} → free.</li>
 *   <li>{@link org.xlbridge.bench.LatenessHarness} (a main class): dispatch lateness of short timers
 *       among 100,000 pending ones under update churn, as HdrHistogram percentiles.</li>
 *   <li>{@link org.xlbridge.bench.BenchReport} (a main class): turns JMH's CSV result file into the
 *       ratio tables of {@code docs/benchmarks.md}.</li>
 * </ul>
 *
 * How to run them, and the numbers measured, are in {@code docs/benchmarks.md}.
 */
package org.xlbridge.bench;
