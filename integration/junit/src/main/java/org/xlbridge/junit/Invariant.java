package org.xlbridge.junit;

/**
 * The invariants of xlbridge's specification, as the kit checks them. Which ones the kit checks on its own
 * and which need the test's help is said on each constant and in {@code docs/junit-kit.md}.
 */
public enum Invariant {
    /** Automatic: each successful timeoutRegister answered by exactly one occurredTimeout for its token. */
    I1("exactly once: each successful timeoutRegister is answered by exactly one occurredTimeout for its token,"
            + " unless the ctx closed first"),
    /** Automatic (through the ctx's count of callbacks that ran before their deadline). */
    I2("no stale fire: a time event's callback never runs before its deadline"),
    /** Automatic: bridge and loop report uses after free and double frees. */
    I3("the application's registration object is freed exactly once and never used after"),
    /** Automatic, at quiescence after the test. */
    I4("no leak: at quiescence nothing is live in the loop, the bridge or the ctx"),
    /** Automatic for timeouts still armed long past their deadline when the test returns. */
    I5("liveness: a registered finite timeout fires or is deregistered"),
    /** Automatic: the kit probes occurredTimeout from inside the first register hooks. */
    I6("no reentrancy: occurred* from inside a hook throws"),
    /** Automatic. */
    I7("under ASAP_MODIFY, timeoutDeregister is never called"),
    /** Automatic: every id the loop hands out is checked. */
    I8("loop ids are not reused while live or recently freed"),
    /** Needs the test: expectEvents / recordEvent. */
    I9("events exact: each caused event reaches each listener exactly once, in the domain's order, on the loop"
            + " thread"),
    /** Needs the test: operation / completed / ran. */
    I10("operations end once: every asynchronous operation completes exactly once and nothing of it runs after");

    private final String meaning;

    Invariant(String meaning) {
        this.meaning = meaning;
    }

    /** What the invariant says, in one line. */
    public String meaning() {
        return meaning;
    }
}
