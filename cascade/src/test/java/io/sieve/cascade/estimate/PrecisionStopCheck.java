package io.sieve.cascade.estimate;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Replays precision-stopped queries over fixed decisions, in many seeded random orders, as the
 * aggregator runs them: after every decision from {@link PrecisionTarget#MIN_DECISIONS} on, the
 * counts in scope are checked against the request, and the query stops at the first decision
 * where they are precise enough (or runs to its last frame). At the stop it records whether each
 * interval in scope covers the class's true count over all frames, whether the accuracy interval
 * covers the accuracy of the decisions so far, and the frames it took.
 */
public final class PrecisionStopCheck {

    /** How to make the intervals a query is stopped on and shows. */
    public enum Intervals {
        /** Sieve's: a confidence sequence at the request's level. */
        CONFIDENCE_SEQUENCE,
        /** A fixed-time interval at the same level, looked at after every frame: what optional stopping breaks. */
        FIXED_TIME
    }

    /**
     * @param classCoverageMin the worst class's share of replays whose stopping interval covered its true count
     * @param accuracyCoverage share of replays whose accuracy interval covered the accuracy of the decisions so far
     * @param stopped          share of replays that stopped before their last frame
     * @param framesMedian     frames seen at the stop (or the end), median over replays
     * @param framesLow        10th percentile
     * @param framesHigh       90th percentile
     */
    public record Result(double classCoverageMin, double accuracyCoverage, double stopped, long framesMedian, long framesLow,
                         long framesHigh) {
    }

    /** @param targetClass the class in scope, or -1 for every class */
    public static Result run(List<CoverageCheck.Decision> decisions, List<StageCalibration> calibration, int classes, int targetClass,
                             PrecisionTarget target, Intervals intervals, int replays, long seed) {
        int total = decisions.size();
        long[] trueCounts = new long[classes];
        decisions.forEach(d -> trueCounts[d.truth()]++);
        int[] inScope = targetClass >= 0 ? new int[] {targetClass} : java.util.stream.IntStream.range(0, classes).toArray();
        double fixedZ = new org.apache.commons.math3.distribution.NormalDistribution()
                .inverseCumulativeProbability(1 - (1 - target.level()) / 2);
        long[] covered = new long[classes];
        long accuracyCovered = 0;
        long stoppedEarly = 0;
        long[] frames = new long[replays];
        Random random = new Random(seed);
        for (int r = 0; r < replays; r++) {
            List<CoverageCheck.Decision> order = new ArrayList<>(decisions);
            Collections.shuffle(order, random);
            OnlineEstimate estimate = new OnlineEstimate(calibration, classes);
            int correct = 0;
            int n = 0;
            List<Interval> counts = new ArrayList<>();
            while (n < total) {
                CoverageCheck.Decision d = order.get(n++);
                estimate.add(d.stage(), d.confidence(), d.label(), d.truth());
                correct += d.label() == d.truth() ? 1 : 0;
                if (n < PrecisionTarget.MIN_DECISIONS && n < total) {
                    continue;
                }
                double z = intervals == Intervals.CONFIDENCE_SEQUENCE ? target.multiplier(n, 1) : fixedZ;
                counts.clear();
                for (int k : inScope) {
                    counts.add(estimate.classCount(k, total, z, 1));
                }
                boolean reached = target.check(counts, total, n).reached();
                if (reached || n == total) {
                    stoppedEarly += reached && n < total ? 1 : 0;
                    for (int i = 0; i < inScope.length; i++) {
                        covered[inScope[i]] += counts.get(i).covers(trueCounts[inScope[i]]) ? 1 : 0;
                    }
                    accuracyCovered += estimate.accuracy(z, 1).covers((double) correct / n) ? 1 : 0;
                    break;
                }
            }
            frames[r] = n;
        }
        long worst = Long.MAX_VALUE;
        for (int k : inScope) {
            worst = Math.min(worst, covered[k]);
        }
        Arrays.sort(frames);
        return new Result((double) worst / replays, (double) accuracyCovered / replays, (double) stoppedEarly / replays,
                frames[replays / 2], frames[replays / 10], frames[replays * 9 / 10]);
    }
}
