package org.xlbridge.race;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdWindowTest {
    @Test
    void freshIncreasingIdsAreAcceptedEvenWithGaps() {
        IdWindow w = new IdWindow();
        assertThat(w.add(1)).isTrue();
        assertThat(w.add(3)).isTrue();
        assertThat(w.add(2)).isTrue(); // recorded out of order by another thread: still fresh
        assertThat(w.add(1000)).isTrue();
        assertThat(w.max()).isEqualTo(1000);
    }

    @Test
    void anIdSeenTwiceIsAReuse() {
        IdWindow w = new IdWindow();
        assertThat(w.add(5)).isTrue();
        assertThat(w.add(6)).isTrue();
        assertThat(w.add(5)).isFalse();
        assertThat(w.add(0)).isFalse();
        assertThat(w.add(-3)).isFalse();
    }

    @Test
    void memoryStaysBoundedAndOldIdsBelowTheWindowCountAsReused() {
        IdWindow w = new IdWindow();
        int n = 3 * IdWindow.WINDOW + 17;
        for (int id = 1; id <= n; id++) {
            assertThat(w.add(id)).as("id %d", id).isTrue();
        }
        // the slots were recycled for newer ids, yet an id seen long ago is still refused
        assertThat(w.add(5)).isFalse();
        assertThat(w.add(n - IdWindow.WINDOW)).isFalse();
        assertThat(w.add(n)).isFalse();
        assertThat(w.add(n + 1)).isTrue();
    }

    @Test
    void aJumpLargerThanTheWindowClearsEveryOldSlot() {
        IdWindow w = new IdWindow();
        assertThat(w.add(7)).isTrue();
        int far = 7 + 2 * IdWindow.WINDOW;
        assertThat(w.add(far)).isTrue();
        // the slot 7 used to occupy now belongs to an id in the window, which is fresh
        assertThat(w.add(far - IdWindow.WINDOW + 1)).isTrue();
        assertThat(w.add(7)).isFalse();
    }
}
