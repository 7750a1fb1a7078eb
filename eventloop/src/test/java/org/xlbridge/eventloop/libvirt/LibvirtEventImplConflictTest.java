package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.libvirt.Library;
import org.xlbridge.eventloop.EventLoopException;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * An application that called libvirt-java's {@code Library.initEventLoop()} first: libvirt keeps that
 * implementation, the probe sees it, and {@link LibvirtEventImpl#register} says what to do instead,
 * leaving nothing registered. Runs in a JVM of its own (eventloop/pom.xml).
 */
@Tag(OwnProcess.TAG)
class LibvirtEventImplConflictTest {

    @BeforeAll
    static void libvirtJavaRegistersItsDefaultLoopFirst() throws Exception {
        LibvirtAssumptions.assumeLibvirt();
        Library.initEventLoop();
    }

    @Test
    void registeringAfterInitEventLoopFailsClearlyAndLeavesNothingBehind() {
        try (PollEventLoop loop = new PollEventLoop()) {
            for (int attempt = 0; attempt < 2; attempt++) {
                assertThatThrownBy(() -> LibvirtEventImpl.register(loop))
                        .isInstanceOf(EventLoopException.class)
                        .hasMessageContaining("another event implementation is already registered")
                        .hasMessageContaining("Library.initEventLoop()")
                        .hasMessageContaining("before the first connection")
                        .hasMessageContaining("use LibvirtEventLoop");
                assertThat(LibvirtEventImpl.current()).isEmpty();
                assertThat(loop.stats().liveTimeouts()).isZero();
                assertThat(loop.stats().liveHandles()).isZero();
                assertThat(loop.stats().pendingFrees()).isZero();
            }
        }
    }

    @Test
    void libvirtsDefaultLoopStillWorksThroughLibvirtEventLoop() {
        // The failed registration did not disturb the implementation libvirt kept.
        LibvirtEventLoop loop = new LibvirtEventLoop();
        try {
            AtomicInteger fires = new AtomicInteger();
            loop.addTimeout(0, t -> {
                fires.incrementAndGet();
                loop.removeTimeout(t);
            }, null);
            long deadline = System.nanoTime() + LoopThread.BOUND.toNanos();
            while (fires.get() == 0 && System.nanoTime() - deadline < 0) {
                loop.runOnce();
            }
            assertThat(fires).hasValue(1);
        } finally {
            loop.close();
        }
    }
}
