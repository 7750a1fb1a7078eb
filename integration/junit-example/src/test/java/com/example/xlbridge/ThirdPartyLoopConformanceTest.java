package com.example.xlbridge;

import java.util.concurrent.atomic.LongAdder;
import org.xlbridge.eventloop.EventLoop;
import org.xlbridge.eventloop.EventLoopStats;
import org.xlbridge.eventloop.FreeCallback;
import org.xlbridge.eventloop.HandleCallback;
import org.xlbridge.eventloop.TimeoutCallback;
import org.xlbridge.eventloop.conformance.EventLoopConformanceTest;
import org.xlbridge.eventloop.poll.PollEventLoop;

/**
 * How a third party's {@link EventLoop} runs xlbridge's conformance suite: extend it and say how to make a
 * loop. The suite (every semantic of the contract) comes with the kit's artifact. The "third-party" loop here
 * is a small decorator that counts registrations, over the embedded loop.
 */
class ThirdPartyLoopConformanceTest extends EventLoopConformanceTest {

    @Override
    protected EventLoop newLoop() {
        return new CountingLoop(new PollEventLoop());
    }

    /** A third party's loop: the embedded one, counting what is added. Thread-safe as its delegate. */
    static final class CountingLoop implements EventLoop {
        private final EventLoop delegate;
        private final LongAdder added = new LongAdder();

        CountingLoop(EventLoop delegate) {
            this.delegate = delegate;
        }

        long added() {
            return added.sum();
        }

        @Override
        public int addHandle(int fd, int events, HandleCallback cb, FreeCallback ff) {
            int id = delegate.addHandle(fd, events, cb, ff);
            added.increment();
            return id;
        }

        @Override
        public void updateHandle(int watch, int events) {
            delegate.updateHandle(watch, events);
        }

        @Override
        public boolean removeHandle(int watch) {
            return delegate.removeHandle(watch);
        }

        @Override
        public int addTimeout(int frequencyMs, TimeoutCallback cb, FreeCallback ff) {
            int id = delegate.addTimeout(frequencyMs, cb, ff);
            added.increment();
            return id;
        }

        @Override
        public void updateTimeout(int timer, int frequencyMs) {
            delegate.updateTimeout(timer, frequencyMs);
        }

        @Override
        public boolean removeTimeout(int timer) {
            return delegate.removeTimeout(timer);
        }

        @Override
        public void runOnce() {
            delegate.runOnce();
        }

        @Override
        public void run() {
            delegate.run();
        }

        @Override
        public void stop() {
            delegate.stop();
        }

        @Override
        public EventLoopStats stats() {
            return delegate.stats();
        }

        @Override
        public void close() {
            delegate.close();
        }
    }
}
