/**
 * libvirt and xlbridge loops, both ways round:
 * {@link org.xlbridge.eventloop.libvirt.LibvirtEventLoop} is libvirt's own default event loop as an xlbridge
 * {@link org.xlbridge.eventloop.EventLoop} (see {@code docs/libvirt-loop.md}), and
 * {@link org.xlbridge.eventloop.libvirt.LibvirtEventImpl} makes any xlbridge loop libvirt's event
 * implementation, so that libvirt-java connections run on it (see {@code docs/libvirt-clients.md}).
 * Both through JNA on {@code libvirt.so.0} (Debian package {@code libvirt0}).
 */
package org.xlbridge.eventloop.libvirt;
