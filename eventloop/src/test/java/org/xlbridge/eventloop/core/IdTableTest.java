package org.xlbridge.eventloop.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class IdTableTest {
    @Test
    void randomOperationsMatchAHashMap() {
        SplittableRandom random = new SplittableRandom(3);
        IdTable<String> table = new IdTable<>();
        Map<Integer, String> model = new HashMap<>();
        List<Integer> live = new ArrayList<>();
        int nextId = 1;
        for (int op = 0; op < 50_000; op++) {
            if (live.isEmpty() || random.nextInt(3) > 0) {
                int id = nextId;
                nextId += 1 + random.nextInt(3); // ids grow, with gaps
                table.put(id, "v" + id);
                model.put(id, "v" + id);
                live.add(id);
            } else {
                int id = live.remove(random.nextInt(live.size()));
                assertThat(table.remove(id)).isEqualTo(model.remove(id));
                assertThat(table.remove(id)).isNull();
            }
            int probe = 1 + random.nextInt(nextId + 10);
            assertThat(table.get(probe)).isEqualTo(model.get(probe));
            assertThat(table.size()).isEqualTo(model.size());
        }
        List<String> values = new ArrayList<>();
        table.valuesTo(values);
        assertThat(values).containsExactlyInAnyOrderElementsOf(model.values());
    }

    @Test
    void churnFreesPagesBehindTheLiveWindow() {
        IdTable<Integer> table = new IdTable<>();
        int window = 3 * IdTable.PAGE_SIZE;
        for (int id = 1; id <= 200 * IdTable.PAGE_SIZE; id++) {
            table.put(id, id);
            if (id > window) {
                assertThat(table.remove(id - window)).isEqualTo(id - window);
            }
        }
        assertThat(table.size()).isEqualTo(window);
        assertThat(table.allocatedPages()).isLessThanOrEqualTo(5);
        assertThat(table.get(200 * IdTable.PAGE_SIZE)).isEqualTo(200 * IdTable.PAGE_SIZE);
        assertThat(table.get(1)).isNull();
    }

    @Test
    void nonPositiveIdsAreAbsentAndRejected() {
        IdTable<String> table = new IdTable<>();
        assertThat(table.get(0)).isNull();
        assertThat(table.get(-5)).isNull();
        assertThat(table.remove(-5)).isNull();
        assertThat(table.get(Integer.MAX_VALUE)).isNull();
        assertThatThrownBy(() -> table.put(0, "x")).isInstanceOf(IllegalArgumentException.class);
        table.put(Integer.MAX_VALUE, "max");
        assertThat(table.get(Integer.MAX_VALUE)).isEqualTo("max");
        assertThat(table.remove(Integer.MAX_VALUE)).isEqualTo("max");
    }

    @Test
    void churnAcrossAWrapKeepsOnlyPagesWithLiveIds() {
        IdTable<Integer> table = new IdTable<>();
        int last = 20 * IdTable.PAGE_SIZE;
        int window = IdTable.PAGE_SIZE / 2;
        table.put(3, 3); // long-lived, at the bottom: the wrap must not disturb it
        int id = 3;
        for (int op = 0; op < 3 * last; op++) {
            id = id == last ? 1 : id + 1;
            if (id == 3) {
                continue;
            }
            table.put(id, id);
            int old = id - window < 1 ? id - window + last : id - window;
            if (old != 3) {
                table.remove(old);
            }
        }
        assertThat(table.get(3)).isEqualTo(3);
        assertThat(table.size()).isBetween(window, window + 2);
        assertThat(table.allocatedPages()).isLessThanOrEqualTo(3);
    }
}
