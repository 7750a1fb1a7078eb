package org.xlbridge.posix;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class WakeupTest {
    /**
     * The owner's exception type, as an event loop or the libxl model has its own. (A failing system call is
     * not provoked here: the only easy way, a closed fd, may meanwhile be another thread's fd.)
     */
    static final class OwnerException extends RuntimeException {
        OwnerException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static boolean readable(Wakeup w) {
        return (Posix.pollNow(w.pollFd(), Posix.POLLIN) & Posix.POLLIN) != 0;
    }

    @Test
    void aSignalMakesTheFdReadableUntilDrained() {
        for (Wakeup w : List.of(Wakeup.open(OwnerException::new), Wakeup.openPipe(OwnerException::new))) {
            try (w) {
                assertThat(readable(w)).isFalse();
                w.signal();
                w.signal();
                assertThat(readable(w)).isTrue();
                w.drain();
                assertThat(readable(w)).as("one drain consumes every signal").isFalse();
                w.drain();
                assertThat(readable(w)).as("draining an empty wakeup is harmless").isFalse();
            }
        }
    }

    @Test
    void aPipeWakeupHoldsOneBytePerSignal() {
        try (Wakeup w = Wakeup.openPipe(OwnerException::new)) {
            w.signal();
            byte[] buf = new byte[8];
            assertThat(Posix.read(w.pollFd(), buf, buf.length)).isEqualTo(1);
        }
    }
}
