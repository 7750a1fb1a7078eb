package org.xlbridge.libxl;

/**
 * The "for_libxl" value of an fd registration: a nexus from the ctx's fd pool, handed to
 * {@link OsEventHooks#fdRegister} and given back by the application to {@link LibxlContext#occurredFd}.
 *
 * <p>It goes back to its pool as soon as its fd event is deregistered ({@link OsEventHooks#fdDeregister} is still
 * called for fds: only timeouts changed in the fix), so a late {@code occurredFd} may find it empty, or serving
 * another fd event. The ctx then ignores the call (empty, or another fd), or re-checks the fd with poll(2) before
 * believing it (same fd). No public constructor: only a {@link LibxlContext} makes tokens.
 */
public final class FdToken extends Nexus<FdEvent> {
    FdToken(LibxlContext ctx, int id) {
        super(ctx, id);
    }

    @Override
    String kind() {
        return "fd";
    }
}
