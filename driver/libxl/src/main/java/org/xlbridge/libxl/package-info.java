/**
 * The library side of the osevent hooks: a Java model of libxl's event core ({@code tools/libs/light/libxl_event.c}
 * and {@code tools/include/libxl_event.h} in the Xen tree) after Xen commit 5f5ef65b, with the pre-fix timeout
 * protocol kept, and documented as unsafe, to reproduce the race that commit removed.
 *
 * <p>Start with {@link org.xlbridge.libxl.LibxlContext}. The application implements
 * {@link org.xlbridge.libxl.OsEventHooks} and reports back through
 * {@link org.xlbridge.libxl.LibxlContext#occurredTimeout} and {@link org.xlbridge.libxl.LibxlContext#occurredFd};
 * or it polls with {@link org.xlbridge.libxl.LibxlContext#beforePoll()} and
 * {@link org.xlbridge.libxl.LibxlContext#afterPoll}. The toolstack side uses {@link org.xlbridge.libxl.TimeEvent}
 * and {@link org.xlbridge.libxl.FdEvent}. {@code docs/libxl-core.md} explains the model.
 *
 * <p>This package is the Maven module {@code xlbridge-libxl}, which depends on nothing of xlbridge but the neutral
 * {@code xlbridge-posix} ({@code org.xlbridge.posix}, {@code org.xlbridge.time}): the library side knows nothing of
 * the event loop or the bridge, as libxl knows nothing of libvirt, and the build enforces it.
 */
package org.xlbridge.libxl;
