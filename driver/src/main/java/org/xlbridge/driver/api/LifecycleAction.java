package org.xlbridge.driver.api;

import java.util.Locale;

/**
 * What a driver does when a guest powers off, reboots or crashes: the values of libvirt's
 * {@code <on_poweroff>}, {@code <on_reboot>} and {@code <on_crash>} elements.
 */
public enum LifecycleAction {
    DESTROY("destroy"),
    RESTART("restart"),
    RESTART_RENAME("rename-restart"),
    PRESERVE("preserve"),
    COREDUMP_DESTROY("coredump-destroy"),
    COREDUMP_RESTART("coredump-restart");

    private final String xmlName;

    LifecycleAction(String xmlName) {
        this.xmlName = xmlName;
    }

    /** The name used in domain XML. */
    public String xmlName() {
        return xmlName;
    }

    /** The action for an XML name, or null when there is none. */
    static LifecycleAction fromXml(String text) {
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (LifecycleAction a : values()) {
            if (a.xmlName.equals(t)) {
                return a;
            }
        }
        return null;
    }

    /** Whether libvirt accepts this action in {@code <on_crash>} only (the coredump ones). */
    boolean crashOnly() {
        return this == COREDUMP_DESTROY || this == COREDUMP_RESTART;
    }
}
