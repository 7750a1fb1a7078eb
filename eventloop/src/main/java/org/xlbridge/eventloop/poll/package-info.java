/**
 * The embedded event loop: {@link org.xlbridge.eventloop.poll.PollEventLoop}, ppoll(2) through JNA with an
 * indexed timer heap and an eventfd for wakeups.
 */
package org.xlbridge.eventloop.poll;
