/**
 * A simulated Xen host: hypervisor domains ({@link org.xlbridge.xen.SimHost}), a xenstore-like tree with watches
 * ({@link org.xlbridge.xen.XenStore}) whose notifications reach a client through a real file descriptor
 * ({@link org.xlbridge.xen.XsConnection}), and guests and device backends with scripted, seedable behaviour
 * ({@link org.xlbridge.xen.GuestScript}). It knows nothing of libxl, as Xen knows nothing of libxl;
 * {@code docs/simulated-host.md} describes the layers.
 */
package org.xlbridge.xen;
