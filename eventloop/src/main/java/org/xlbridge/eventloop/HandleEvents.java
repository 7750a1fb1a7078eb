package org.xlbridge.eventloop;

import org.xlbridge.posix.Posix;

/**
 * Handle event bits, with libvirt's {@code VIR_EVENT_HANDLE_*} values, and their one mapping to and from
 * poll(2) bits (as libvirt's old poll loop's {@code virEventPollToNativeEvents} / {@code FromNativeEvents}),
 * for the loops that poll fds and for the bridge from libxl's hooks.
 */
public final class HandleEvents {
    public static final int READABLE = 1;
    public static final int WRITABLE = 2;
    public static final int ERROR = 4;
    public static final int HANGUP = 8;
    /** Every defined bit. */
    public static final int ALL = READABLE | WRITABLE | ERROR | HANGUP;

    private HandleEvents() {
    }

    /** True when {@code events} has no bit outside {@link #ALL}. */
    public static boolean isValid(int events) {
        return (events & ~ALL) == 0;
    }

    /**
     * Checks an events mask given by a caller.
     *
     * @throws IllegalArgumentException naming the unknown bits
     */
    public static int requireValid(int events) {
        if (!isValid(events)) {
            throw new IllegalArgumentException(
                    "unknown handle event bits 0x" + Integer.toHexString(events & ~ALL)
                            + " in 0x" + Integer.toHexString(events)
                            + " (known: READABLE=1, WRITABLE=2, ERROR=4, HANGUP=8)");
        }
        return events;
    }

    /**
     * The poll(2) bits for handle events: READABLE→POLLIN, WRITABLE→POLLOUT, ERROR→POLLERR,
     * HANGUP→POLLHUP. (As requested events, POLLERR and POLLHUP change nothing: poll(2) always
     * reports them.)
     */
    public static int toPoll(int events) {
        int bits = 0;
        if ((events & READABLE) != 0) {
            bits |= Posix.POLLIN;
        }
        if ((events & WRITABLE) != 0) {
            bits |= Posix.POLLOUT;
        }
        if ((events & ERROR) != 0) {
            bits |= Posix.POLLERR;
        }
        if ((events & HANGUP) != 0) {
            bits |= Posix.POLLHUP;
        }
        return bits;
    }

    /**
     * The handle events for poll(2) bits: POLLIN→READABLE, POLLOUT→WRITABLE, POLLERR and POLLNVAL→ERROR,
     * POLLHUP→HANGUP; other bits (POLLPRI) have no handle event and are dropped.
     */
    public static int fromPoll(int pollBits) {
        int events = 0;
        if ((pollBits & Posix.POLLIN) != 0) {
            events |= READABLE;
        }
        if ((pollBits & Posix.POLLOUT) != 0) {
            events |= WRITABLE;
        }
        if ((pollBits & (Posix.POLLERR | Posix.POLLNVAL)) != 0) {
            events |= ERROR;
        }
        if ((pollBits & Posix.POLLHUP) != 0) {
            events |= HANGUP;
        }
        return events;
    }

    /** "READABLE|HANGUP" style text for logs. */
    public static String toString(int events) {
        if (events == 0) {
            return "NONE";
        }
        StringBuilder sb = new StringBuilder();
        append(sb, events, READABLE, "READABLE");
        append(sb, events, WRITABLE, "WRITABLE");
        append(sb, events, ERROR, "ERROR");
        append(sb, events, HANGUP, "HANGUP");
        int unknown = events & ~ALL;
        if (unknown != 0) {
            append(sb, unknown, unknown, "0x" + Integer.toHexString(unknown));
        }
        return sb.toString();
    }

    private static void append(StringBuilder sb, int events, int bit, String name) {
        if ((events & bit) != 0) {
            if (sb.length() > 0) {
                sb.append('|');
            }
            sb.append(name);
        }
    }
}
