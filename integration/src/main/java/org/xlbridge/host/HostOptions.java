package org.xlbridge.host;

import java.time.Duration;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * What {@code xlbridge host} runs.
 *
 * @param loop         the event loop
 * @param protocol     how libxl gets rid of timeouts
 * @param domains      simulated domains on the host
 * @param clients      management clients, each with its own connection and its own share of the domains
 * @param duration     how long the clients work
 * @param seed         seeds the guest mix and the clients' choices
 * @param shutdownWait how long "shutdown, wait, then destroy" waits, and how long libxl's shutdown and
 *                     reboot operations wait for the guest
 * @param maxAnswerMs  the random guests' longest answer delay
 * @param overDaemon   serve the host through the daemon (libvirt's RPC protocol on a unix socket) and reach it
 *                     with libvirt-java ({@code xen+unix:///system?socket=...}) instead of in-process
 */
public record HostOptions(LoopKind loop, DeregistrationProtocol protocol, int domains, int clients, Duration duration,
        long seed, Duration shutdownWait, long maxAnswerMs, boolean overDaemon) {
    /** In-process: the clients open {@code xl:///system} through the driver API. */
    public HostOptions(LoopKind loop, DeregistrationProtocol protocol, int domains, int clients, Duration duration,
            long seed, Duration shutdownWait, long maxAnswerMs) {
        this(loop, protocol, domains, clients, duration, seed, shutdownWait, maxAnswerMs, false);
    }

    public HostOptions {
        if (loop == null || protocol == null || duration == null || shutdownWait == null) {
            throw new IllegalArgumentException("loop, protocol, duration and shutdown wait are required");
        }
        if (domains < 1 || clients < 1 || clients > domains) {
            throw new IllegalArgumentException("need 1 <= clients <= domains (domains=" + domains + ", clients="
                    + clients + ")");
        }
        if (duration.isNegative() || duration.isZero() || shutdownWait.isNegative() || maxAnswerMs < 1) {
            throw new IllegalArgumentException("duration must be positive, shutdown wait >= 0, maxAnswerMs >= 1");
        }
    }

    /** The same run over the daemon ({@code overDaemon}). */
    public HostOptions withOverDaemon(boolean over) {
        return new HostOptions(loop, protocol, domains, clients, duration, seed, shutdownWait, maxAnswerMs, over);
    }

    /** The URI of the simulated host (in-process the clients open it; over the daemon, the daemon does). */
    public String uri() {
        return "xl:///system?domains=" + domains + "&guests=random-responsive&seed=" + seed + "&maxAnswerMs=" + maxAnswerMs
                + "&shutdownTimeoutMs=" + shutdownWait.toMillis() + "&rebootTimeoutMs=" + shutdownWait.toMillis();
    }
}
