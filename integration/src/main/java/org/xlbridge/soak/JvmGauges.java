package org.xlbridge.soak;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a {@link Sampler} reads from the JVM and the OS; an interface so that tests can feed a sampler
 * series of their own.
 */
interface JvmGauges {
    /** Heap in use just after a requested GC, bytes. */
    long heapUsedAfterGc();

    /** Live JVM threads. */
    int liveThreads();

    /** Open file descriptors of this process, -1 where they cannot be counted. */
    int openFds();

    /** The real gauges. */
    JvmGauges SYSTEM = new JvmGauges() {
        @Override
        public long heapUsedAfterGc() {
            // Heap used without a GC is a saw-tooth set by the young generation's allocation: it says
            // nothing about what stays reachable, and a leak hides in its noise. After a requested full
            // GC only reachable objects remain, so a series of these values is flat unless something is
            // kept. System.gc() is a full, stop-the-world collection under G1 and the serial/parallel
            // collectors (unless -XX:+ExplicitGCInvokesConcurrent or -XX:+DisableExplicitGC: then the
            // series is noisier; Sampler notes it). Under -Xmx64m a full GC of a few tens of MB takes
            // milliseconds; the sampler keeps that pause out of the lateness it reports.
            System.gc();
            return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
        }

        @Override
        public int liveThreads() {
            return ManagementFactory.getThreadMXBean().getThreadCount();
        }

        @Override
        public int openFds() {
            return countOpenFds(Path.of("/proc/self/fd"));
        }
    };

    /**
     * Entries in {@code fdDir} (Linux's {@code /proc/self/fd}) less the one the listing itself opens, or
     * -1 where the directory does not exist or cannot be read.
     */
    static int countOpenFds(Path fdDir) {
        if (!Files.isDirectory(fdDir)) {
            return -1;
        }
        int n = 0;
        try (DirectoryStream<Path> entries = Files.newDirectoryStream(fdDir)) {
            for (Path ignored : entries) {
                n++;
            }
        } catch (IOException | SecurityException e) {
            return -1;
        }
        // The directory stream holds an fd of its own while it lists, and /proc lists it.
        return Math.max(0, n - 1);
    }
}
