package org.xlbridge.eventloop.logging;

import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;

/**
 * Logs a failure that may repeat millions of times in a long-running process (a callback or listener
 * that keeps throwing) without drowning the log: the first {@code inFull} occurrences at WARN with their
 * stack trace, then one WARN line at each power of ten (100, 1,000, 10,000 ...) and every million
 * afterwards, saying how many there were, and the rest at DEBUG. The caller still counts every failure
 * where its statistics are kept; this only decides what reaches the log.
 *
 * <p>Thread-safe: the count is atomic.
 */
public final class RepeatedFailureLog {
    private final Logger log;
    private final int inFull;
    private final AtomicLong count = new AtomicLong();

    /**
     * @param log    where the lines go
     * @param inFull how many occurrences are logged in full before the log thins out (at least 1)
     */
    public RepeatedFailureLog(Logger log, int inFull) {
        if (log == null || inFull < 1) {
            throw new IllegalArgumentException("need a logger and inFull >= 1, got " + log + ", " + inFull);
        }
        this.log = log;
        this.inFull = inFull;
    }

    /**
     * One occurrence. Same arguments as SLF4J's {@code warn(format, args)}: a last argument that is a
     * {@link Throwable} is its stack trace.
     */
    public void failed(String format, Object... args) {
        long n = count.incrementAndGet();
        if (n <= inFull) {
            log.warn(format, args);
        } else if (isMilestone(n)) {
            Object[] shown = args.length > 0 && args[args.length - 1] instanceof Throwable t
                    ? withLast(Arrays.copyOf(args, args.length), t.toString()) : args;
            log.warn(format + " [occurrence " + n + "; from occurrence " + (inFull + 1)
                    + " on, only each power of ten and each million is logged at WARN, the rest at DEBUG]", shown);
        } else if (log.isDebugEnabled()) {
            log.debug(format, args);
        }
    }

    /** Occurrences so far. */
    public long count() {
        return count.get();
    }

    static boolean isMilestone(long n) {
        if (n % 1_000_000 == 0) {
            return true;
        }
        long p = 10;
        while (p < n) {
            p *= 10;
        }
        return p == n;
    }

    private static Object[] withLast(Object[] args, String last) {
        args[args.length - 1] = last;
        return args;
    }
}
