/**
 * libvirt's own default event loop as an xlbridge {@link org.xlbridge.eventloop.EventLoop}:
 * {@link org.xlbridge.eventloop.libvirt.LibvirtEventLoop}, through JNA on {@code libvirt.so.0}
 * (Debian package {@code libvirt0}). See {@code docs/libvirt-loop.md} for the design.
 */
package org.xlbridge.eventloop.libvirt;
