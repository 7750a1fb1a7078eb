/**
 * The one loop core under every xlbridge-owned {@link org.xlbridge.eventloop.EventLoop}:
 * {@link org.xlbridge.eventloop.core.CoreEventLoop} owns ids, timers, frees, the runner hand-over,
 * stop and close, and dispatch with failure counting; a {@link org.xlbridge.eventloop.core.Poller}
 * waits for fds and wakeups. The embedded loop is the core over ppoll(2); the manual test loop is the
 * same core over a poller that reports what the test says. See {@code docs/eventloop.md}.
 */
package org.xlbridge.eventloop.core;
