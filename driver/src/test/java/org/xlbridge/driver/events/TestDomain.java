package org.xlbridge.driver.events;

import java.util.UUID;
import org.xlbridge.driver.api.Domain;
import org.xlbridge.driver.api.DomainInfo;

/** A domain handle for event tests: a name, a UUID and a sequence number the producer stamps. */
record TestDomain(String name, UUID uuid, long seq) implements Domain {
    static TestDomain of(String name, long seq) {
        return new TestDomain(name, UUID.nameUUIDFromBytes(name.getBytes(java.nio.charset.StandardCharsets.UTF_8)),
                seq);
    }

    @Override
    public String getName() {
        return name;
    }

    @Override
    public UUID getUUID() {
        return uuid;
    }

    private static UnsupportedOperationException unsupported() {
        return new UnsupportedOperationException("test handle");
    }

    @Override
    public int getID() {
        throw unsupported();
    }

    @Override
    public boolean isActive() {
        throw unsupported();
    }

    @Override
    public DomainInfo getInfo() {
        throw unsupported();
    }

    @Override
    public void create() {
        throw unsupported();
    }

    @Override
    public void shutdown() {
        throw unsupported();
    }

    @Override
    public void reboot() {
        throw unsupported();
    }

    @Override
    public void destroy() {
        throw unsupported();
    }

    @Override
    public void suspend() {
        throw unsupported();
    }

    @Override
    public void resume() {
        throw unsupported();
    }

    @Override
    public void undefine() {
        throw unsupported();
    }

    @Override
    public void attachDevice(String deviceXml) {
        throw unsupported();
    }

    @Override
    public void detachDevice(String deviceXml) {
        throw unsupported();
    }

    @Override
    public String getXMLDesc() {
        throw unsupported();
    }
}
