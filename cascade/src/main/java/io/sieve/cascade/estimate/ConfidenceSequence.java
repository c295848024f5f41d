package io.sieve.cascade.estimate;

/**
 * The multiplier that turns a standard error into a confidence sequence: intervals that hold at
 * every frame count at once, so a query may stop whenever they look narrow enough (optional
 * stopping breaks fixed-time intervals: looked at after every frame, a 95% interval misses the
 * truth at some point far more often than 5% of the time).
 *
 * <p>This is the asymptotic confidence sequence of Waudby-Smith, Arbour, Sinha, Kennedy and
 * Ramdas (2021, "Time-uniform central limit theory"), Robbins' normal mixture applied to a
 * standardised sum: with probability at least {@code level}, for every t at once,
 * |mean_t - mu| <= sigma_t * sqrt(2 (t rho^2 + 1) / (t^2 rho^2) * log(sqrt(t rho^2 + 1) / alpha)).
 * Divided by sigma_t / sqrt(t) this is {@link #multiplier}, used where a fixed-time interval uses
 * its normal quantile. rho sets where the sequence is tightest; it must not depend on the data, so
 * it is chosen from the frames a query is expected to need.
 */
public final class ConfidenceSequence {
    private final double alpha;
    private final double rhoSquared;

    private ConfidenceSequence(double alpha, double rhoSquared) {
        this.alpha = alpha;
        this.rhoSquared = rhoSquared;
    }

    /**
     * A two-sided sequence at {@code level} whose width is smallest at {@code frames} effective
     * frames (Waudby-Smith et al.'s choice of rho, their eq. 19); it is within 10% of that width
     * from a third to ten times as many frames.
     */
    public static ConfidenceSequence tightestAt(double level, double frames) {
        if (!(level > 0 && level < 1)) {
            throw new IllegalArgumentException("confidence level " + level + " is not between 0 and 1");
        }
        if (!(frames >= 1)) {
            throw new IllegalArgumentException("a confidence sequence is tightest at 1 frame or more, not " + frames);
        }
        double alpha = 1 - level;
        double c = -2 * Math.log(alpha) + Math.log(-2 * Math.log(alpha) + 1);
        return new ConfidenceSequence(alpha, c / frames);
    }

    /** The multiplier of the standard error after {@code frames} effective frames (about 3.0 at 95% where tightest, against 1.96 fixed-time). */
    public double multiplier(double frames) {
        if (!(frames > 0)) {
            return Double.POSITIVE_INFINITY;
        }
        double trho = frames * rhoSquared;
        return Math.sqrt((trho + 1) / trho * 2 * Math.log(Math.sqrt(trho + 1) / alpha));
    }
}
