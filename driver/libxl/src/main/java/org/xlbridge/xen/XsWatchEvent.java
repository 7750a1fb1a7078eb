package org.xlbridge.xen;

/**
 * One watch notification as it comes off a connection's fd: the path that changed and the token the watch was set
 * with ({@code XS_WATCH_EVENT}).
 *
 * @param path  the path that fired (the watched path or one below it, or a special path such as
 *              {@code @releaseDomain})
 * @param token the token given to {@link XsConnection#watch}
 */
public record XsWatchEvent(String path, String token) {
}
