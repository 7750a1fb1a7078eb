package org.xlbridge.daemon.server;

import java.nio.file.Path;
import java.time.Duration;

/**
 * What the daemon serves and its bounds. Defaults follow libvirtd's configuration (libvirtd.conf):
 * min_workers 5, max_workers 20, max_client_requests 5, keepalive_interval 5 s, keepalive_count 5.
 *
 * @param socket           the read-write socket's path (mode 0600)
 * @param readOnlySocket   the read-only socket's path (mode 0666), or null for none
 * @param hostUri          the {@code xl} driver URI the clients' connections open, with the simulated host's
 *                         parameters, e.g. {@code xl:///system?domains=4}
 * @param minWorkers       worker threads kept alive
 * @param maxWorkers       worker threads at most (calls beyond wait in the pool's queue)
 * @param maxClientRequests calls of one client in progress at once; beyond it the daemon stops reading that
 *                         client until one ends (as libvirtd does)
 * @param maxQueuedMessages replies and events waiting to be written to one client; a client that lets more
 *                         pile up (it stopped reading) is dropped
 * @param keepaliveInterval idle time after which the daemon pings a client that asked for keepalive
 * @param keepaliveCount   pings without any answer after which the client is dropped as dead
 */
public record DaemonConfig(Path socket, Path readOnlySocket, String hostUri, int minWorkers, int maxWorkers,
        int maxClientRequests, int maxQueuedMessages, Duration keepaliveInterval, int keepaliveCount) {
    public DaemonConfig {
        if (socket == null || hostUri == null) {
            throw new IllegalArgumentException("socket and hostUri must be given");
        }
        if (minWorkers < 0 || maxWorkers < 1 || minWorkers > maxWorkers || maxClientRequests < 1
                || maxQueuedMessages < 1 || keepaliveInterval.isNegative() || keepaliveInterval.isZero()
                || keepaliveCount < 1) {
            throw new IllegalArgumentException("bad daemon bounds");
        }
    }

    /** libvirtd's defaults for these sockets and host. */
    public static DaemonConfig of(Path socket, Path readOnlySocket, String hostUri) {
        return new DaemonConfig(socket, readOnlySocket, hostUri, 5, 20, 5, 10_000, Duration.ofSeconds(5), 5);
    }

    public DaemonConfig withKeepalive(Duration interval, int count) {
        return new DaemonConfig(socket, readOnlySocket, hostUri, minWorkers, maxWorkers, maxClientRequests,
                maxQueuedMessages, interval, count);
    }

    public DaemonConfig withMaxQueuedMessages(int max) {
        return new DaemonConfig(socket, readOnlySocket, hostUri, minWorkers, maxWorkers, maxClientRequests, max,
                keepaliveInterval, keepaliveCount);
    }
}
