package org.xlbridge.eventloop.libvirt;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.libvirt.Library;

/**
 * An application that runs libvirt-java's {@code Library.runEventLoop()} while a {@link LibvirtEventLoop}
 * turns the same (process-wide) default loop: no xlbridge callback ever runs on the foreign thread, and
 * the loop's run() fails with an error naming that thread and the replacement. Runs in a JVM of its own
 * (tag {@link OwnProcess#TAG}): the refusal lasts for the rest of the process.
 */
@Tag(OwnProcess.TAG)
class LibvirtLoopOwnershipTest {

    @BeforeAll
    static void requireLibvirt() {
        LibvirtAssumptions.assumeLibvirt();
    }

    @Test
    void aSecondThreadTurningLibvirtsLoopIsDetectedAndRefusedWithoutRunningOurCallbacksOnIt() throws Exception {
        LibvirtEventLoop loop = new LibvirtEventLoop();
        List<Thread> callbackThreads = new CopyOnWriteArrayList<>();
        AtomicInteger fires = new AtomicInteger();
        AtomicReference<Throwable> runFailure = new AtomicReference<>();
        Thread ours = new Thread(() -> {
            try {
                loop.run();
            } catch (Throwable t) {
                runFailure.set(t);
            }
        }, "xlbridge-runner");
        ours.setDaemon(true);
        AtomicReference<Throwable> foreignFailure = new AtomicReference<>();
        Thread foreign = new Thread(() -> {
            try {
                Library.runEventLoop();
            } catch (Throwable t) {
                foreignFailure.set(t);
            }
        }, "application-libvirt-loop");
        foreign.setDaemon(true);
        try {
            Library.initEventLoop(); // the application's usual set-up; libvirt keeps the one default impl
            ours.start();
            foreign.start();
            // A busy timer: with two threads taking turns, the foreign one soon dispatches it.
            loop.addTimeout(0, t -> {
                callbackThreads.add(Thread.currentThread());
                fires.incrementAndGet();
            }, null);
            ours.join(DomainChurn.BOUND.toMillis());
            assertThat(ours.isAlive()).as("our runner stopped with an error").isFalse();
            assertThat(runFailure.get())
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("also being run by thread \"application-libvirt-loop\"")
                    .hasMessageContaining("Library.runEventLoop()")
                    .hasMessageContaining("new LibvirtEventLoop(), loop.run() and loop.stop()");
            assertThat(callbackThreads).as("xlbridge callbacks ran only on xlbridge's runner").allMatch(t -> t == ours);
            assertThat(foreignFailure.get()).isNull();
        } finally {
            Library.stopEventLoop();
            foreign.join(DomainChurn.BOUND.toMillis());
            loop.close();
        }
        assertThat(foreign.isAlive()).as("the application's loop thread ended on stopEventLoop()").isFalse();

        // The refusal stands for the process: libvirt's default loop has another owner.
        LibvirtEventLoop later = new LibvirtEventLoop();
        try {
            assertThat(org.assertj.core.api.Assertions.catchThrowable(later::runOnce))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("application-libvirt-loop");
        } finally {
            later.close();
        }
    }
}
