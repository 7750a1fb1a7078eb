package org.xlbridge.race;

import java.time.Duration;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * One race run's settings.
 *
 * @param loop            which loop to run on ("auto" is resolved here, once)
 * @param protocol        the ctx's deregistration protocol
 * @param dispatchThreads 1: the loop's own thread dispatches; more: a {@code PooledDispatchEventLoop}
 *                        hands dispatches to that many threads
 * @param duration        how long workers keep registering
 * @param workers         toolstack threads registering and deregistering events
 * @param seed            seed of the workers' random choices (worker i uses seed + i)
 * @param libvirtUri      a libvirt URI whose domains {@code libvirtClients} threads churn on the same loop
 *                        while the race runs, or null for none
 * @param libvirtClients  client threads on that connection (ignored without a URI)
 */
public record RaceOptions(LoopKind loop, DeregistrationProtocol protocol, int dispatchThreads,
                          Duration duration, int workers, long seed, String libvirtUri, int libvirtClients) {
    /** Default number of libvirt client threads. */
    public static final int DEFAULT_LIBVIRT_CLIENTS = 2;

    public RaceOptions {
        if (loop == null || protocol == null || duration == null) {
            throw new IllegalArgumentException("loop, protocol and duration must not be null");
        }
        if (dispatchThreads < 1 || dispatchThreads > 64) {
            throw new IllegalArgumentException("dispatch threads must be 1..64, got " + dispatchThreads);
        }
        if (workers < 1 || workers > 256) {
            throw new IllegalArgumentException("workers must be 1..256, got " + workers);
        }
        if (duration.isNegative() || duration.isZero()) {
            throw new IllegalArgumentException("duration must be positive, got " + duration);
        }
        if (libvirtClients < 1 || libvirtClients > 64) {
            throw new IllegalArgumentException("libvirt clients must be 1..64, got " + libvirtClients);
        }
        if (libvirtUri != null && dispatchThreads > 1) {
            // libvirt's callbacks must run on the loop thread (I9); a pooled dispatcher runs them elsewhere
            throw new IllegalArgumentException("--libvirt-uri needs the loop's own thread to dispatch:"
                    + " use --dispatch-threads 1");
        }
        loop = loop.resolve(); // "auto" is decided here, once, and the report names the loop that ran
    }

    /** A race without libvirt clients. */
    public RaceOptions(LoopKind loop, DeregistrationProtocol protocol, int dispatchThreads, Duration duration,
                       int workers, long seed) {
        this(loop, protocol, dispatchThreads, duration, workers, seed, null, DEFAULT_LIBVIRT_CLIENTS);
    }
}
