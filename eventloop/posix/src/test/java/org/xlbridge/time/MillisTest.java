package org.xlbridge.time;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MillisTest {
    @Test
    void ceilRoundsUpToWholeMilliseconds() {
        assertThat(Millis.ceil(1)).isEqualTo(1);
        assertThat(Millis.ceil(999_999)).isEqualTo(1);
        assertThat(Millis.ceil(1_000_000)).isEqualTo(1);
        assertThat(Millis.ceil(1_000_001)).isEqualTo(2);
        assertThat(Millis.ceil(5_000_000_000L)).isEqualTo(5000);
    }

    @Test
    void ceilOfNothingOrLessIsZero() {
        assertThat(Millis.ceil(0)).isZero();
        assertThat(Millis.ceil(-1)).isZero();
        assertThat(Millis.ceil(Long.MIN_VALUE)).isZero();
    }

    @Test
    void ceilClampsToIntegerMaxValue() {
        assertThat(Millis.ceil((Integer.MAX_VALUE - 1L) * 1_000_000L)).isEqualTo(Integer.MAX_VALUE - 1);
        assertThat(Millis.ceil(Integer.MAX_VALUE * 1_000_000L)).isEqualTo(Integer.MAX_VALUE);
        assertThat(Millis.ceil((Integer.MAX_VALUE + 1L) * 1_000_000L)).isEqualTo(Integer.MAX_VALUE);
        assertThat(Millis.ceil(Long.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void untilRoundsTheDistanceUp() {
        assertThat(Millis.until(1_000_000, 0)).isEqualTo(1);
        assertThat(Millis.until(1_000_001, 0)).isEqualTo(2);
        assertThat(Millis.until(999_999, 0)).isEqualTo(1);
        assertThat(Millis.until(1, 0)).isEqualTo(1);
        assertThat(Millis.until(5_500_000_000L, 500_000_000L)).isEqualTo(5000);
        assertThat(Millis.until(-500_000L, -1_500_001L)).isEqualTo(2);
    }

    @Test
    void aDeadlineNotAfterNowIsZero() {
        assertThat(Millis.until(0, 0)).isZero();
        assertThat(Millis.until(-5, 10)).isZero();
        assertThat(Millis.until(Long.MIN_VALUE, 123)).isZero();
        assertThat(Millis.until(Long.MIN_VALUE, Long.MIN_VALUE + 1)).isZero();
        // The subtraction overflows to a positive number; the deadline is still in the past.
        assertThat(Millis.until(Long.MIN_VALUE + 1, Long.MAX_VALUE)).isZero();
    }

    @Test
    void aFarFutureDeadlineIsClampedToIntegerMaxValue() {
        assertThat(Millis.until(Long.MAX_VALUE, 0)).isEqualTo(Integer.MAX_VALUE);
        // The subtraction overflows to a negative number; the deadline is still in the future.
        assertThat(Millis.until(Long.MAX_VALUE, Long.MIN_VALUE + 1)).isEqualTo(Integer.MAX_VALUE);
        assertThat(Millis.until((Integer.MAX_VALUE + 1L) * 1_000_000L, 0)).isEqualTo(Integer.MAX_VALUE);
        assertThat(Millis.until((Integer.MAX_VALUE - 1L) * 1_000_000L, 0)).isEqualTo(Integer.MAX_VALUE - 1);
    }
}
