package org.xlbridge.junit;

/**
 * One observed violation of an invariant.
 *
 * @param invariant which invariant
 * @param message   what was seen, naming the registration, id, event or operation involved
 * @param thread    the thread that saw it
 */
public record Violation(Invariant invariant, String message, String thread) {
    @Override
    public String toString() {
        return invariant + ": " + message + " [" + thread + "]";
    }
}
