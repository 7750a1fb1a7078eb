package org.xlbridge.eventloop;

/** Handle event bits, with libvirt's {@code VIR_EVENT_HANDLE_*} values. */
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
