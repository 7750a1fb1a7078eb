package org.xlbridge.libxl.ao;

/**
 * Where libxl events go: libxl's {@code libxl_event_hooks.event_occurs}. Called with the ctx lock held, on the
 * thread that noticed the event; must not block on a thread that needs the ctx.
 */
@FunctionalInterface
public interface LibxlEventHooks {
    /** Ignores everything. */
    LibxlEventHooks NONE = ev -> {
    };

    void eventOccurs(LibxlEvent event);
}
