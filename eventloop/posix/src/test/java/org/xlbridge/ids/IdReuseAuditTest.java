package org.xlbridge.ids;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class IdReuseAuditTest {
    @Test
    void judgesLiveAndRecentlyFreedIdsAsReusesAndOldOnesAsFine() {
        IdReuseAudit audit = new IdReuseAudit(3);
        assertThat(audit.added(1)).isTrue();
        assertThat(audit.added(1)).as("while live").isFalse();
        audit.freed(1);
        audit.added(2);
        assertThat(audit.added(1)).as("two adds after its free").isFalse();
        audit.freed(1);
        audit.added(3);
        audit.added(4);
        audit.added(5);
        assertThat(audit.added(1)).as("four adds after its free").isTrue();
        assertThat(audit.added(0)).isFalse();
        assertThat(audit.reuses()).isEqualTo(3);
        assertThat(audit.lastReuse()).contains("not positive");
    }

    @Test
    void aFreeThatArrivesBeforeItsAddIsMatchedByTicket() {
        IdReuseAudit audit = new IdReuseAudit(1);
        IdReuseAudit.Ticket t = audit.ticket();
        audit.freed(t);
        assertThat(audit.added(t, 7)).isTrue();
        assertThat(audit.live()).isZero();
        audit.added(8);
        audit.added(9);
        assertThat(audit.added(7)).isTrue();
    }
}
