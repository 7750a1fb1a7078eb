package org.xlbridge.libxl.ao;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** Records every completion callback and checks each operation completes exactly once. Thread-safe. */
final class Completions {
    final Map<Ao, AtomicInteger> calls = new ConcurrentHashMap<>();
    final List<String> order = new ArrayList<>();
    final List<String> progress = new ArrayList<>();

    AoHow how() {
        return AoHow.callback(this::record).withProgress((ao, stage) -> {
            synchronized (progress) {
                progress.add(stage);
            }
        });
    }

    private void record(Ao ao, int rc) {
        calls.computeIfAbsent(ao, k -> new AtomicInteger()).incrementAndGet();
        synchronized (order) {
            order.add(ao.kind() + ":" + rc);
        }
    }

    int count(Ao ao) {
        AtomicInteger n = calls.get(ao);
        return n == null ? 0 : n.get();
    }

    /** {@code ao} completed once, with {@code rc}. */
    void assertDone(Ao ao, int rc) {
        assertThat(ao.isComplete()).as(ao + " complete").isTrue();
        assertThat(count(ao)).as(ao + " completion callbacks").isEqualTo(1);
        assertThat(ao.rc()).as(ao + " rc").isEqualTo(rc);
    }

    void assertPending(Ao ao) {
        assertThat(ao.isComplete()).as(ao + " still pending").isFalse();
        assertThat(count(ao)).isZero();
    }

    void assertEachOnce() {
        calls.forEach((ao, n) -> assertThat(n.get()).as(ao + " completions").isEqualTo(1));
    }
}
