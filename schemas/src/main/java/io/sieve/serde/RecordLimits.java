package io.sieve.serde;

import io.sieve.schemas.Frame;
import io.sieve.schemas.StageResult;
import java.util.ArrayList;
import java.util.List;

/**
 * Size limits that producers and the topics they write to must agree on, and the one rule that
 * keeps frame batches inside them (the producer and the stages that forward frames both split by it).
 */
public final class RecordLimits {
    private RecordLimits() {
    }

    /**
     * The largest record Sieve sends, the {@code max.request.size} of its producers and the
     * {@code max.message.bytes} of the frame and dead-letter topics the stream app creates: a batch
     * of frames at CIFAR size is a few hundred kilobytes, so this leaves room for larger model inputs
     * without letting one record monopolise a fetch.
     */
    public static final int MAX_RECORD_BYTES = 8 * 1024 * 1024;

    /** {@code max.message.bytes} of the topics of small records (commands, predictions, progress). */
    public static final int MAX_CONTROL_RECORD_BYTES = 1024 * 1024;

    /** Room for the Avro and Kafka framing around the frames of a batch. */
    public static final int RECORD_OVERHEAD_BYTES = 64 * 1024;

    /** A frame's fields besides its pixels, generously. */
    public static final int FRAME_OVERHEAD_BYTES = 256;

    /** The most of a rejected record's value a dead letter keeps, so that any dead letter fits its topic. */
    public static final int MAX_DEAD_LETTER_PAYLOAD_BYTES = 64 * 1024;

    /** What a frame occupies in a batch record, at most: its pixels, its fields and the stage results it carries. */
    public static long frameBytes(Frame frame) {
        long bytes = (long) frame.getPixels().remaining() + FRAME_OVERHEAD_BYTES;
        for (StageResult result : frame.getEarlierStages()) {
            bytes += 64 + result.getModel().length();
        }
        return bytes;
    }

    /** Whether one more frame of {@code frameBytes} fits a batch that holds {@code batchBytes} already. */
    public static boolean fits(long batchBytes, long frameBytes) {
        return batchBytes + frameBytes <= MAX_RECORD_BYTES - RECORD_OVERHEAD_BYTES;
    }

    /** {@code frames} in order, cut into runs that each fit one record. A frame too large for any record gets a run of its own. */
    public static List<List<Frame>> split(List<Frame> frames) {
        List<List<Frame>> batches = new ArrayList<>();
        List<Frame> current = new ArrayList<>();
        long bytes = 0;
        for (Frame frame : frames) {
            long size = frameBytes(frame);
            if (!current.isEmpty() && !fits(bytes, size)) {
                batches.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(frame);
            bytes += size;
        }
        if (!current.isEmpty()) {
            batches.add(current);
        }
        return batches;
    }
}
