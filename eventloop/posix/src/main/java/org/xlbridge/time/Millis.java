package org.xlbridge.time;

/**
 * The one rule for turning nanoseconds into the milliseconds a loop timer or a poll(2) timeout takes:
 * round up, so that a wait of the result never ends before the deadline, and clamp to
 * {@code [0, Integer.MAX_VALUE]}, so that a past deadline means "now" and a far-future one (even one
 * whose distance overflows a {@code long}) means "as late as an int can say".
 */
public final class Millis {
    private static final long NANOS_PER_MILLI = 1_000_000L;

    private Millis() {
    }

    /** ceil({@code nanos} / 1 ms), clamped to {@code [0, Integer.MAX_VALUE]}; 0 for {@code nanos <= 0}. */
    public static int ceil(long nanos) {
        if (nanos <= 0) {
            return 0;
        }
        long ms = (nanos - 1) / NANOS_PER_MILLI + 1;
        return ms >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) ms;
    }

    /**
     * The milliseconds from {@code nowNanos} to {@code deadlineNanos}, by {@link #ceil}: 0 if the deadline
     * is not after now, {@link Integer#MAX_VALUE} if it is so far after that the distance overflows.
     */
    public static int until(long deadlineNanos, long nowNanos) {
        if (deadlineNanos <= nowNanos) {
            return 0;
        }
        long diff = deadlineNanos - nowNanos;
        // deadline > now, so a negative difference can only be an overflow: further away than a long says.
        return diff < 0 ? Integer.MAX_VALUE : ceil(diff);
    }
}
