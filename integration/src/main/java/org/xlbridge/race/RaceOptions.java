package org.xlbridge.race;

import java.time.Duration;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * One race run's settings.
 *
 * @param loop            which loop to run on
 * @param protocol        the ctx's deregistration protocol
 * @param dispatchThreads 1: the loop's own thread dispatches; more: a {@code PooledDispatchEventLoop}
 *                        hands dispatches to that many threads
 * @param duration        how long workers keep registering
 * @param workers         toolstack threads registering and deregistering events
 * @param seed            seed of the workers' random choices (worker i uses seed + i)
 */
public record RaceOptions(LoopKind loop, DeregistrationProtocol protocol, int dispatchThreads,
                          Duration duration, int workers, long seed) {
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
        loop = loop.resolve(); // "auto" is decided here, once, and the report names the loop that ran
    }
}
