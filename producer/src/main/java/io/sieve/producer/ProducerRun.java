package io.sieve.producer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongConsumer;

/**
 * Drives sources into a publisher: round-robin across cameras, each at its own frame rate (or as
 * fast as possible), until every source ends, a stop is requested (Ctrl-C), or an error. The
 * publisher is always flushed, so every frame counted as sent is on the broker.
 */
public final class ProducerRun {
    private ProducerRun() {
    }

    /** What a run sent; {@code stopped} is true when it ended on request before its sources did. */
    public record Result(long sent, long acknowledged, boolean stopped, Duration elapsed) {
        public double framesPerSecond() {
            return elapsed.toNanos() == 0 ? 0 : sent * 1e9 / elapsed.toNanos();
        }
    }

    /**
     * @param fps      frames per second per camera; 0 = as fast as possible
     * @param queryId  the retrospective query the frames belong to, or null
     * @param stop     set to end the run early
     * @param progress told of every frame handed to the publisher
     */
    public static Result run(List<? extends FrameSource> sources, FramePublisher publisher, double fps, String queryId,
                             AtomicBoolean stop, LongConsumer progress) {
        long started = System.nanoTime();
        long intervalNanos = fps > 0 ? (long) (1e9 / fps) : 0;
        List<FrameSource> active = new ArrayList<>(sources);
        long[] due = new long[active.size()];
        java.util.Arrays.fill(due, started);
        boolean stopped = false;
        try {
            while (!active.isEmpty()) {
                if (stop.get()) {
                    stopped = true;
                    break;
                }
                int pick = 0;
                for (int i = 1; i < active.size(); i++) {
                    if (due[i] < due[pick]) {
                        pick = i;
                    }
                }
                long wait = due[pick] - System.nanoTime();
                if (wait > 0) {
                    publisher.sendOverdue();
                    sleepNanos(Math.min(wait, 50_000_000L));
                    continue;
                }
                FrameSource source = active.get(pick);
                SourceFrame frame = source.next();
                if (frame == null) {
                    active.remove(pick);
                    due = removeAt(due, pick);
                    continue;
                }
                Long position = queryId != null && source instanceof ListSource list ? list.position() : null;
                publisher.publish(frame, queryId, position);
                progress.accept(1);
                due[pick] += intervalNanos;
            }
        } finally {
            publisher.flush();
        }
        return new Result(publisher.framesSent(), publisher.framesAcknowledged(), stopped, Duration.ofNanos(System.nanoTime() - started));
    }

    private static long[] removeAt(long[] values, int index) {
        long[] out = new long[values.length - 1];
        System.arraycopy(values, 0, out, 0, index);
        System.arraycopy(values, index + 1, out, index, values.length - index - 1);
        return out;
    }

    private static void sleepNanos(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
