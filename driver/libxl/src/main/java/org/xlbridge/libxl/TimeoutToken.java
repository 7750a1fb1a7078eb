package org.xlbridge.libxl;

/**
 * The "for_libxl" value of a timeout registration: a nexus from the ctx's timeout pool, handed to
 * {@link OsEventHooks#timeoutRegister} and given back by the application to {@link LibxlContext#occurredTimeout}.
 *
 * <p>Tokens are recycled. Once its {@code occurredTimeout} has arrived (or, under the unsafe
 * {@link DeregistrationProtocol#LEGACY_DEREGISTER}, as soon as the timeout is deregistered) the same object may be
 * handed out again for a newer timeout. The application must therefore call {@code occurredTimeout} exactly once
 * per successful {@code timeoutRegister} and not use the token after that call. Identity is what matters; the
 * class does not override {@code equals}. No public constructor: only a {@link LibxlContext} makes tokens.
 */
public final class TimeoutToken extends Nexus<TimeEvent> {
    TimeoutToken(LibxlContext ctx, int id) {
        super(ctx, id);
    }

    @Override
    String kind() {
        return "timeout";
    }
}
