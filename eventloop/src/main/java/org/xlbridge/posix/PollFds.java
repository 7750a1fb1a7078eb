package org.xlbridge.posix;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;

/**
 * A growable native array of {@code struct pollfd} ({@code int fd; short events; short revents;}),
 * written in place so that building the poll set allocates nothing once it is large enough.
 *
 * <p>Not thread-safe: owned by one thread (an event loop's), or confined to one call.
 */
public final class PollFds implements AutoCloseable {
    /** sizeof(struct pollfd) on Linux. */
    public static final int STRUCT_SIZE = 8;

    private Memory memory;
    private int capacity;

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
    public int poll(int n, int timeoutMs) {
        while (true) {
            try {
                return Posix.poll(memory, n, timeoutMs);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Posix.EINTR) {
                    if (timeoutMs == 0) {
                        continue;
                    }
                    return 0;
                }
                throw e;
            }
        }
    }

    @Override
    public void close() {
        memory.close();
    }
}
