package org.xlbridge.race;

/** The invariants of SPEC.md that the race harness checks. */
public enum Invariant {
    I1("exactly once: each timeoutRegister answered by one occurredTimeout, consumed by its own event"),
    I2("no stale fire: an event's callback runs only while registered and never before its deadline"),
    I3("registration objects and tokens freed exactly once and never used after"),
    I4("no leak: nothing live in loop, bridge or ctx at quiescence"),
    I5("liveness: every finite timeout fires or is deregistered"),
    I6("no reentrancy: occurred* from a hook throws"),
    I7("under ASAP_MODIFY, timeoutDeregister is never called"),
    I8("loop ids are never reused");

    private final String meaning;

    Invariant(String meaning) {
        this.meaning = meaning;
    }

    public String meaning() {
        return meaning;
    }
}
