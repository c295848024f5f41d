package io.sieve.cascade.estimate;

import java.util.List;
import java.util.Locale;
import org.apache.commons.math3.distribution.NormalDistribution;

/**
 * A query's request to stop once its answer is precise enough (BlazeIt-style error-bounded
 * aggregation): the counts in scope known to within +- a share of the query's frames and/or +- a
 * number of frames, at a confidence level. Its intervals are a {@link ConfidenceSequence}, so the
 * interval shown when the query stops holds at its level however the stopping frame was chosen.
 */
public final class PrecisionTarget {
    /**
     * Decisions before a query may stop: the sequence is asymptotic (it rests on the central limit
     * theorem and a variance estimated from the frames), which a few dozen frames of a rare class do
     * not support. PrecisionStopIT's replays justify it.
     */
    public static final long MIN_DECISIONS = 200;
    /** Where the sequence is tightest when the request alone cannot say (a count without a known number of frames). */
    static final double DEFAULT_TIGHTEST_FRAMES = 1000;

    private final Double share;
    private final Double count;
    private final double level;
    private final ConfidenceSequence sequence;

    /**
     * @param share          half-width as a share of the query's frames (0.02: +-2 points), or null
     * @param count          half-width in frames, or null
     * @param level          confidence level, e.g. 0.95
     * @param expectedFrames the query's frames if known (null: unknown), to place the sequence's tightest point
     * @throws IllegalArgumentException naming what is wrong with the request
     */
    public PrecisionTarget(Double share, Double count, double level, Long expectedFrames) {
        if (share == null && count == null) {
            throw new IllegalArgumentException("a precision needs a share or a count of frames");
        }
        if (share != null && !(share > 0 && share < 1)) {
            throw new IllegalArgumentException("a precision of +-" + share + " of the frames is not a share between 0 and 1 "
                    + "(0.02 is +-2 points)");
        }
        if (count != null && !(count > 0 && Double.isFinite(count))) {
            throw new IllegalArgumentException("a precision of +-" + count + " frames is not a positive number of frames");
        }
        if (!(level >= 0.5 && level < 1)) {
            throw new IllegalArgumentException("a precision's confidence level " + level + " is not between 0.5 and 1 (0.95 is 95%)");
        }
        this.share = share;
        this.count = count;
        this.level = level;
        this.sequence = ConfidenceSequence.tightestAt(level, tightestFrames(share, count, level, expectedFrames));
    }

    /**
     * The frames a fixed-time interval would need for the request if a class's share were 1/2 (the
     * widest case), capped by the query's frames: the sequence is placed there because a query with
     * such a request stops near there, and its width hardly changes from a third to ten times that.
     */
    private static double tightestFrames(Double share, Double count, double level, Long expectedFrames) {
        double relative = share != null ? share : Double.POSITIVE_INFINITY;
        if (count != null && expectedFrames != null) {
            relative = Math.min(relative, count / expectedFrames);
        }
        if (Double.isInfinite(relative)) {
            return DEFAULT_TIGHTEST_FRAMES;
        }
        double z = new NormalDistribution().inverseCumulativeProbability(1 - (1 - level) / 2);
        double frames = 0.25 * (z / relative) * (z / relative);
        if (expectedFrames != null) {
            frames = Math.min(frames, expectedFrames);
        }
        return Math.max(MIN_DECISIONS, frames);
    }

    public double level() {
        return level;
    }

    /** What replaces the normal quantile in every interval of the query after {@code decisions} decisions. */
    public double multiplier(long decisions, double designEffect) {
        return sequence.multiplier(decisions / Math.max(1, designEffect));
    }

    /** How far an interval reaches from its estimate, on its wider side. */
    private static double halfWidth(Interval interval) {
        return Math.max(interval.estimate() - interval.low(), interval.high() - interval.estimate());
    }

    /** Whether and how the intervals in scope meet the request. */
    public record Status(double halfWidth, double shareHalfWidth, boolean reached) {
    }

    /**
     * Checks the intervals in scope (made with {@link #multiplier}) of a query of {@code population}
     * frames after {@code decisions} decisions: reached once they are all at least as narrow as asked
     * and {@link #MIN_DECISIONS} decisions are in.
     */
    public Status check(List<Interval> inScope, long population, long decisions) {
        double widest = 0;
        for (Interval interval : inScope) {
            widest = Math.max(widest, Double.isNaN(interval.estimate()) ? Double.POSITIVE_INFINITY : halfWidth(interval));
        }
        double allowed = Double.POSITIVE_INFINITY;
        if (share != null) {
            allowed = share * population;
        }
        if (count != null) {
            allowed = Math.min(allowed, count);
        }
        double ofFrames = population > 0 ? widest / population : Double.POSITIVE_INFINITY;
        return new Status(widest, ofFrames, decisions >= MIN_DECISIONS && widest <= allowed);
    }

    /** The request in words, e.g. "+-2.0 points at 95%" or "+-50 frames at 95%". */
    public String describe() {
        return describe(share, count, level);
    }

    /** A request in words, whether or not it is a valid one. */
    public static String describe(Double share, Double count, double level) {
        String what = share != null && count != null ? String.format(Locale.ROOT, "+-%.1f points and +-%.0f frames", 100 * share, count)
                : share != null ? String.format(Locale.ROOT, "+-%.1f points", 100 * share) : String.format(Locale.ROOT, "+-%.0f frames", count);
        return what + String.format(Locale.ROOT, " at %.0f%%", 100 * level);
    }
}
