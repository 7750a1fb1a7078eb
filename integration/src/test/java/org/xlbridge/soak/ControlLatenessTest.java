package org.xlbridge.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.xlbridge.time.TimeSource;

class ControlLatenessTest {
    @Test
    void measuresTheControlThreadAndStops() throws InterruptedException {
        ControlLateness control = ControlLateness.start(Duration.ofMillis(2), TimeSource.SYSTEM);
        TimeUnit.MILLISECONDS.sleep(100);
        long p99 = control.intervalP99Micros();
        assertThat(p99).isNotNegative();
        control.close();
        control.close();
        assertThat(Thread.getAllStackTraces().keySet()).noneMatch(t -> t.getName().equals("lateness-control"));
        assertThat(control.intervalP99Micros()).as("nothing overdue once stopped").isNotNegative();
    }

    // A control thread that is not run at all (here: a clock that jumps 50 ms while it parks) reads as that late.
    @Test
    void anOverdueParkCountsAsLateness() {
        java.util.concurrent.atomic.AtomicLong now = new java.util.concurrent.atomic.AtomicLong();
        TimeSource fake = now::get;
        ControlLateness control = ControlLateness.start(Duration.ofDays(1), fake);
        try {
            now.set(Duration.ofDays(1).toNanos() + TimeUnit.MILLISECONDS.toNanos(50));
            assertThat(control.intervalP99Micros()).isGreaterThanOrEqualTo(50_000);
        } finally {
            now.set(Long.MAX_VALUE / 2);
            control.close();
        }
    }

    @Test
    void refusesABadPeriod() {
        assertThatThrownBy(() -> ControlLateness.start(Duration.ZERO, TimeSource.SYSTEM))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("period");
    }
}
