package io.sieve.cli;

import io.sieve.cascade.estimate.PrecisionTarget;
import io.sieve.schemas.QueryCommand;
import picocli.CommandLine.Option;

/** A query's request to stop once its counts are precise enough, as `query start` and `produce --query` take it. */
final class PrecisionOptions {
    @Option(names = "--precision-points", paramLabel = "POINTS", description = "Stop once the target class's share (or, without "
            + "--target, every class's) is known to within +- this many percentage points, e.g. 2; the query ends DONE_AT_PRECISION "
            + "and its frames stop being sent and run.")
    Double points;

    @Option(names = "--precision-frames", paramLabel = "FRAMES", description = "Stop once the count(s) are known to within +- this many frames.")
    Double frames;

    @Option(names = "--precision-level", paramLabel = "PERCENT", defaultValue = "95",
            description = "Confidence level of a precision query's intervals, in percent (default: ${DEFAULT-VALUE}).")
    double levelPercent;

    /**
     * Sets the request on {@code command} (nothing without --precision-*).
     *
     * @throws IllegalArgumentException naming the option at fault
     */
    QueryCommand.Builder applyTo(QueryCommand.Builder command, boolean live, Long expectedFrames) {
        if (points == null && frames == null) {
            return command;
        }
        if (frames != null && (live || expectedFrames == null)) {
            throw new IllegalArgumentException("--precision-frames needs the query's number of frames (--expected, or a replay "
                    + "that knows it): a live query's counts grow with every frame; use --precision-points");
        }
        Double share = points == null ? null : points / 100;
        try {
            new PrecisionTarget(share, frames, levelPercent / 100, expectedFrames);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--precision-points/--precision-frames/--precision-level: " + e.getMessage()
                    .replace("0.02 is +-2 points", "--precision-points 2 is +-2 points").replace("0.95 is 95%", "--precision-level 95 is 95%"));
        }
        return command.setPrecisionShare(share).setPrecisionCount(frames).setPrecisionLevel(levelPercent / 100);
    }
}
