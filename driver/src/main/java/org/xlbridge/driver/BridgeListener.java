package org.xlbridge.driver;

/**
 * Observes the bridge: what an invariant checker or a test needs to see. Every method has an empty
 * default. Methods are called on whichever thread does the work (a hook caller with the ctx lock held,
 * or a loop dispatch thread with no lock held) and must be fast and must not call back into the ctx.
 */
public interface BridgeListener {
    /** A listener that ignores everything. */
    BridgeListener NONE = new BridgeListener() {
    };

    /** The register hook added a loop timer for {@code reg}. Called with the ctx lock held. */
    default void timeoutRegistered(TimeoutRegistration reg) {
    }

    /**
     * The modify(ASAP) hook ran; {@code raced} is true when the registration was already firing or done
     * and the request was ignored. Called with the ctx lock held.
     */
    default void timeoutModified(TimeoutRegistration reg, boolean raced) {
    }

    /** The legacy deregister hook ran. Called with the ctx lock held. */
    default void timeoutDeregistered(TimeoutRegistration reg) {
    }

    /**
     * A dispatch won the registration and has disabled the timer; {@code occurredTimeout} follows. Called
     * on the dispatch thread with no lock held (tests may block here to hold the window open).
     */
    default void beforeOccurredTimeout(TimeoutRegistration reg) {
    }

    /** {@code occurredTimeout} returned (or threw) for {@code reg}. */
    default void afterOccurredTimeout(TimeoutRegistration reg) {
    }

    /** A second dispatch of an already firing or done registration was suppressed. */
    default void duplicateDispatchSuppressed(TimeoutRegistration reg) {
    }

    /** The loop freed {@code reg}; {@code previousState} is the state it was freed from. */
    default void timeoutFreed(TimeoutRegistration reg, int previousState) {
    }

    /** The loop freed an fd registration. */
    default void fdFreed(FdRegistration reg) {
    }

    /**
     * The bridge caught something that must never happen (a use after free, a double free, a foreign
     * registration object). It has been logged and ignored.
     */
    default void violation(String what) {
    }
}
