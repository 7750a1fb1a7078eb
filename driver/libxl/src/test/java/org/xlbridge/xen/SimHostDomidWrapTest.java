package org.xlbridge.xen;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.xlbridge.ids.IdAllocator;

/**
 * Domids at the end of Xen's range: after {@link SimHost#LAST_DOMID} (0x7FEF, below DOMID_FIRST_RESERVED)
 * the next domid is 1, live domains are skipped and a released domid rests before it comes back.
 */
class SimHostDomidWrapTest {
    private final AtomicLong now = new AtomicLong();

    private static <T> T withSeam(String first, String last, Supplier<T> make) {
        String oldFirst = System.getProperty(IdAllocator.FIRST_PROPERTY);
        String oldLast = System.getProperty(IdAllocator.LAST_PROPERTY);
        try {
            set(IdAllocator.FIRST_PROPERTY, first);
            set(IdAllocator.LAST_PROPERTY, last);
            return make.get();
        } finally {
            set(IdAllocator.FIRST_PROPERTY, oldFirst);
            set(IdAllocator.LAST_PROPERTY, oldLast);
        }
    }

    private static void set(String key, String value) {
        if (value == null) {
            System.clearProperty(key);
        } else {
            System.setProperty(key, value);
        }
    }

    private int create(SimHost host, String name) {
        return host.createDomain(name, UUID.randomUUID(), 1024, 1, GuestScript.cooperative());
    }

    private void destroyAndRelease(SimHost host, int domid) {
        host.destroy(domid);
        now.addAndGet(10_000_000_000L);
        host.runDue();
        assertThat(host.domainInfo(domid)).as("domain %d released", domid).isEmpty();
    }

    @Test
    void afterTheLastGuestDomidComesOneSkippingLiveDomains() {
        SimHost host = withSeam(Integer.toString(SimHost.LAST_DOMID - 1), null, () -> new SimHost(now::get));
        int a = create(host, "a");
        int b = create(host, "b");
        assertThat(new int[] {a, b}).containsExactly(SimHost.LAST_DOMID - 1, SimHost.LAST_DOMID);
        int c = create(host, "c");
        assertThat(c).as("no domid at or above DOMID_FIRST_RESERVED (0x7FF0)").isEqualTo(1);
        assertThat(host.domidWraps()).isEqualTo(1);
        assertThat(host.domainInfo(a).orElseThrow().name()).isEqualTo("a");
        host.close();
    }

    /** Domain churn through several wraps of a small domid space, against a model of the rule. */
    @Test
    void churnAcrossWrapsNeverGivesALiveOrRecentlyReleasedDomid() {
        int last = 64;
        int quarantine = IdAllocator.quarantineFor(last);
        SimHost host = withSeam(null, Integer.toString(last), () -> new SimHost(now::get));
        Map<Integer, Long> releasedAt = new HashMap<>();
        List<Integer> live = new ArrayList<>();
        long creates = 0;
        int n = 0;
        while (host.domidWraps() < 3) {
            int d = create(host, "g" + n++);
            creates++;
            assertThat(d).isBetween(1, last);
            assertThat(live).as("domid %d handed out while live", d).doesNotContain(d);
            Long at = releasedAt.remove(d);
            if (at != null) {
                assertThat(creates - at).as("creates since domid %d was released", d).isGreaterThan(quarantine);
            }
            live.add(d);
            if (live.size() > 20 || n % 3 == 0) {
                int gone = live.remove(n * 7 % live.size());
                destroyAndRelease(host, gone);
                releasedAt.put(gone, creates);
            }
        }
        assertThat(live).isNotEmpty();
        host.close();
    }
}
