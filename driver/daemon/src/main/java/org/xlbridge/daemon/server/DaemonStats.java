package org.xlbridge.daemon.server;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The daemon's counters, for the {@code serve} report and the tests. Thread-safe: atomics and a
 * concurrent map; {@link #snapshot()} reads them without a lock (each figure exact, the set not atomic).
 */
public final class DaemonStats {
    final AtomicLong connectionsAccepted = new AtomicLong();
    final AtomicLong connectionsOpen = new AtomicLong();
    final AtomicLong connectionsClosed = new AtomicLong();
    final AtomicLong eventsSent = new AtomicLong();
    final AtomicLong errorsSent = new AtomicLong();
    final AtomicLong noSupportAnswers = new AtomicLong();
    final AtomicLong pingsReceived = new AtomicLong();
    final AtomicLong pingsSent = new AtomicLong();
    final AtomicLong keepaliveDrops = new AtomicLong();
    final AtomicLong outputOverflowDrops = new AtomicLong();
    final AtomicLong badFrames = new AtomicLong();
    final AtomicLong repliesDropped = new AtomicLong();
    private final Map<String, LongAdder> calls = new ConcurrentHashMap<>();

    void call(String procedure) {
        calls.computeIfAbsent(procedure, k -> new LongAdder()).increment();
    }

    /** A copy of the figures. */
    public Snapshot snapshot() {
        Map<String, Long> c = new TreeMap<>();
        calls.forEach((k, v) -> c.put(k, v.sum()));
        return new Snapshot(connectionsAccepted.get(), connectionsOpen.get(), connectionsClosed.get(), c,
                eventsSent.get(), errorsSent.get(), noSupportAnswers.get(), pingsReceived.get(), pingsSent.get(),
                keepaliveDrops.get(), outputOverflowDrops.get(), badFrames.get(), repliesDropped.get());
    }

    /**
     * The figures at one time.
     *
     * @param connectionsAccepted sockets accepted
     * @param connectionsOpen     CONNECT_OPEN calls that succeeded
     * @param connectionsClosed   client connections closed (by the client, an error, a drop or the daemon)
     * @param callsByProcedure    calls received by procedure name ({@code "#N"} for a number without a name)
     * @param eventsSent          event messages queued to clients
     * @param errorsSent          error replies
     * @param noSupportAnswers    error replies that were VIR_ERR_NO_SUPPORT
     * @param pingsReceived       keepalive PINGs from clients (each answered with a PONG)
     * @param pingsSent           keepalive PINGs the daemon sent to idle clients
     * @param keepaliveDrops      clients dropped for not answering keepalive
     * @param outputOverflowDrops clients dropped because their output queue overflowed (they stopped reading)
     * @param badFrames           clients closed for a frame the protocol cannot carry
     * @param repliesDropped      replies of calls whose client was gone when they ended
     */
    public record Snapshot(long connectionsAccepted, long connectionsOpen, long connectionsClosed,
            Map<String, Long> callsByProcedure, long eventsSent, long errorsSent, long noSupportAnswers,
            long pingsReceived, long pingsSent, long keepaliveDrops, long outputOverflowDrops, long badFrames,
            long repliesDropped) {
    }
}
