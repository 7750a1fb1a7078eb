package org.xlbridge.race;

/** The invariants I1–I10 of the specification, as the race harness reports them. */
public enum Invariant {
    I1("exactly once: each timeoutRegister answered by one occurredTimeout, consumed by its own event"),
    I2("no stale fire: an event's callback runs only while registered and never before its deadline"),
    I3("registration objects and tokens freed exactly once and never used after"),
    I4("no leak: nothing live in loop, bridge or ctx at quiescence"),
    I5("liveness: every finite timeout fires or is deregistered"),
    I6("no reentrancy: occurred* from a hook throws"),
    I7("under ASAP_MODIFY, timeoutDeregister is never called"),
    I8("loop ids are not reused while live or recently freed"),
    I9("events exact: each lifecycle event a domain operation causes reaches the listener once, in order, on the loop thread"),
    /**
     * Counted by the asynchronous driver operations that exist; {@code race} runs none, so it reports 0
     * without checking anything ({@link #checkedByRace()} is false).
     */
    I10("operations end once: every asynchronous driver operation completes exactly once");

    private final String meaning;

    Invariant(String meaning) {
        this.meaning = meaning;
    }

    public String meaning() {
        return meaning;
    }

    /** Whether {@code xlbridge race} checks this invariant (all but I10; I9 only with libvirt clients). */
    public boolean checkedByRace() {
        return this != I10;
    }
}
