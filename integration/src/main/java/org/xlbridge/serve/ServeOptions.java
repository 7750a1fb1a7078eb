package org.xlbridge.serve;

import java.nio.file.Path;
import java.time.Duration;
import org.xlbridge.driver.LoopKind;
import org.xlbridge.libxl.DeregistrationProtocol;

/**
 * What {@code xlbridge serve} was asked for.
 *
 * @param duration how long to serve before stopping by itself; null: until SIGINT or SIGTERM
 */
public record ServeOptions(Path socket, Path readOnlySocket, LoopKind loop, DeregistrationProtocol protocol,
        int domains, String guests, long seed, long maxAnswerMs, long shutdownTimeoutMs, Duration duration) {
    public ServeOptions {
        if (socket == null || loop == null || protocol == null || guests == null) {
            throw new IllegalArgumentException("socket, loop, protocol and guests must be given");
        }
        if (domains < 0 || maxAnswerMs < 1 || shutdownTimeoutMs < 0) {
            throw new IllegalArgumentException("domains >= 0, maxAnswerMs >= 1, shutdownTimeoutMs >= 0");
        }
    }

    /** The xl driver URI every client connection opens. */
    public String hostUri() {
        return "xl:///system?domains=" + domains + "&guests=" + guests + "&seed=" + seed + "&maxAnswerMs="
                + maxAnswerMs + "&shutdownTimeoutMs=" + shutdownTimeoutMs + "&rebootTimeoutMs=" + shutdownTimeoutMs;
    }
}
