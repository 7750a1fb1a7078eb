/**
 * Test support that other modules depend on: {@link org.xlbridge.eventloop.testing.ManualEventLoop}, an
 * event loop on virtual time for deterministic tests.
 */
package org.xlbridge.eventloop.testing;
