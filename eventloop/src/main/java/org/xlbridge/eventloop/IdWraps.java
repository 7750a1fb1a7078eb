package org.xlbridge.eventloop;

/**
 * A loop whose timer and watch ids come from wrapping counters ({@link org.xlbridge.ids.IdAllocator}):
 * it says how many times each has wrapped from its last id back to 1. Soaks report it; an id is still
 * never handed out again while live or recently freed (I8, see {@code docs/invariants.md}).
 */
public interface IdWraps {
    /** Times the timer id counter wrapped to 1. */
    long timerIdWraps();

    /** Times the watch (handle) id counter wrapped to 1. */
    long watchIdWraps();

    /** The wraps of {@code loop}'s counters, or of the loop it forwards to; {@code {-1, -1}} if unknown. */
    static long[] of(EventLoop loop) {
        if (loop instanceof IdWraps w) {
            return new long[] {w.timerIdWraps(), w.watchIdWraps()};
        }
        return new long[] {-1, -1};
    }
}
