package org.xlbridge.daemon.rpc;

import java.util.Arrays;
import java.util.function.Consumer;

/**
 * Cuts a byte stream into frames. Bytes are fed as they arrive (any split: a frame may come a byte at a
 * time); each complete frame (without its length word) goes to the consumer. A length field outside
 * [{@link Frames#MIN_LENGTH}, {@link #maxLength}] is a {@link FrameException}: the stream cannot be
 * resynchronised, the connection must close. Memory is bounded by the frame in progress, allocated as its
 * bytes arrive (a claimed 32 MiB frame costs nothing until it is sent). Not thread-safe: one per client,
 * used on the loop thread. The bound is a constructor argument so that a daemon may lower it.
 */
public final class FrameDecoder {
    private final int maxLength;
    private final byte[] lengthBytes = new byte[4];
    private int lengthHave;
    private byte[] frame;
    private int frameHave;
    private int expected;

    public FrameDecoder() {
        this(Frames.MAX_LENGTH);
    }

    public FrameDecoder(int maxLength) {
        if (maxLength < Frames.MIN_LENGTH) {
            throw new IllegalArgumentException("maxLength below a header's size");
        }
        this.maxLength = maxLength;
    }

    /** A length field the protocol cannot carry. */
    public static final class FrameException extends Exception {
        private static final long serialVersionUID = 1L;

        FrameException(String message) {
            super(message);
        }
    }

    /** Feeds {@code n} bytes; calls {@code out} with each frame completed (header and body). */
    public void feed(byte[] data, int off, int n, Consumer<byte[]> out) throws FrameException {
        int i = off;
        int end = off + n;
        while (i < end) {
            if (frame == null) {
                int take = Math.min(4 - lengthHave, end - i);
                System.arraycopy(data, i, lengthBytes, lengthHave, take);
                lengthHave += take;
                i += take;
                if (lengthHave < 4) {
                    return;
                }
                long len = ((lengthBytes[0] & 0xffL) << 24) | ((lengthBytes[1] & 0xff) << 16)
                        | ((lengthBytes[2] & 0xff) << 8) | (lengthBytes[3] & 0xff);
                if (len < Frames.MIN_LENGTH || len > maxLength) {
                    throw new FrameException("frame length " + len + " outside [" + Frames.MIN_LENGTH + ", "
                            + maxLength + "]");
                }
                frame = new byte[Math.min((int) len - 4, 65536)];
                expected = (int) len - 4;
                frameHave = 0;
            }
            int take = Math.min(expected - frameHave, end - i);
            if (frameHave + take > frame.length) {
                frame = Arrays.copyOf(frame, Math.min(expected, Math.max(frame.length * 4, frameHave + take)));
            }
            System.arraycopy(data, i, frame, frameHave, take);
            frameHave += take;
            i += take;
            if (frameHave == expected) {
                byte[] done = frame.length == expected ? frame : Arrays.copyOf(frame, expected);
                frame = null;
                lengthHave = 0;
                out.accept(done);
            }
        }
    }

    /** True while a frame is partly received. */
    public boolean midFrame() {
        return lengthHave > 0 || frame != null;
    }
}
