package org.xlbridge.posix;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Pointer;

/**
 * A growable native array of {@code struct pollfd} ({@code int fd; short events; short revents;}),
 * written in place so that building the poll set allocates nothing once it is large enough.
 *
 * <p>Not thread-safe: owned by one thread (an event loop's), or confined to one call.
 */
public final class PollFds implements AutoCloseable {
    /** sizeof(struct pollfd) on Linux. */
    public static final int STRUCT_SIZE = 8;

    /** sizeof(struct timespec) on 64-bit Linux: {@code long tv_sec; long tv_nsec;}. */
    private static final int TIMESPEC_SIZE = 16;
    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private Memory memory;
    private int capacity;
    /** The ppoll timeout, rewritten before each call. */
    private final Memory timespec = new Memory(TIMESPEC_SIZE);

    public PollFds(int initialCapacity) {
        this.capacity = Math.max(1, initialCapacity);
        this.memory = new Memory((long) capacity * STRUCT_SIZE);
    }

    /** Makes room for at least {@code n} entries, keeping the first entries as they are. */
    public void ensureCapacity(int n) {
        if (n <= capacity) {
            return;
        }
        int newCapacity = Math.max(n, capacity * 2);
        Memory bigger = new Memory((long) newCapacity * STRUCT_SIZE);
        bigger.write(0, memory.getByteArray(0, capacity * STRUCT_SIZE), 0, capacity * STRUCT_SIZE);
        memory.close();
        memory = bigger;
        capacity = newCapacity;
    }

    public int capacity() {
        return capacity;
    }

    /** Sets entry {@code i}; clears its revents. */
    public void set(int i, int fd, int events) {
        long off = (long) i * STRUCT_SIZE;
        memory.setInt(off, fd);
        memory.setShort(off + 4, (short) events);
        memory.setShort(off + 6, (short) 0);
    }

    public int fd(int i) {
        return memory.getInt((long) i * STRUCT_SIZE);
    }

    public int events(int i) {
        return memory.getShort((long) i * STRUCT_SIZE + 4) & 0xffff;
    }

    public int revents(int i) {
        return memory.getShort((long) i * STRUCT_SIZE + 6) & 0xffff;
    }

    /**
     * poll(2) over the first {@code n} entries, retrying on EINTR only when {@code timeoutMs == 0}
     * (a blocking caller decides itself whether to retry).
     *
     * @return the number of entries with non-zero revents; 0 on timeout or EINTR of a blocking call
     */
    /**
     * ppoll(2) on the first {@code n} entries with a timeout in nanoseconds ({@code < 0} blocks, 0 returns
     * at once); returns the number of ready entries. An interrupted wait (EINTR) returns 0, an
     * interrupted zero-timeout call is retried.
     */
    public int pollNanos(int n, long timeoutNanos) {
        Pointer timeout = null;
        if (timeoutNanos >= 0) {
            timespec.setLong(0, timeoutNanos / NANOS_PER_SECOND);
            timespec.setLong(8, timeoutNanos % NANOS_PER_SECOND);
            timeout = timespec;
        }
        while (true) {
            try {
                return Posix.ppoll(memory, n, timeout, null);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Posix.EINTR) {
                    if (timeoutNanos == 0) {
                        continue;
                    }
                    return 0;
                }
                throw e;
            }
        }
    }

    /** The same wait with a timeout in milliseconds ({@code -1} blocks). */
    public int poll(int n, int timeoutMs) {
        return pollNanos(n, timeoutMs < 0 ? -1 : timeoutMs * 1_000_000L);
    }

    @Override
    public void close() {
        memory.close();
        timespec.close();
    }
}
