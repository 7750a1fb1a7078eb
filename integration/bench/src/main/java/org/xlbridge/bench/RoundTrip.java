package org.xlbridge.bench;

/** A way of running hook round trips that {@link HookRoundTripBench} can time: the bridge on a loop, or STPE. */
interface RoundTrip extends AutoCloseable {
    /** Runs {@code n} round trips to the end (all freed); returns a value for JMH's blackhole. */
    long run(int n);

    /** Throws if any round trip went wrong (fired, leaked, not discarded as stale). */
    void verify();

    @Override
    void close();
}
