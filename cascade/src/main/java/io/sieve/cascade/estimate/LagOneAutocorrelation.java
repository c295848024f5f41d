package io.sieve.cascade.estimate;

/**
 * The lag-1 autocorrelation of a 0/1 indicator in arrival order (e.g. "this video frame shows the
 * target class"), and the variance inflation it implies. Consecutive video frames repeat each
 * other, so n correlated frames carry the information of fewer independent ones: for an AR(1)-like
 * sequence with lag-1 autocorrelation rho, the variance of a mean grows by (1 + rho) / (1 - rho).
 */
public final class LagOneAutocorrelation {
    /** Below this many consecutive pairs rho is too noisy to use, and no inflation is applied. */
    static final int MIN_PAIRS = 30;
    /** rho is capped here, which caps the inflation at 39: no finite sample can justify more. */
    static final double MAX_RHO = 0.95;

    /** The accumulated sums, for keeping them in a state store; {@code previous} is -1 before the first value. */
    public record State(long pairs, double sumX, double sumXX, double sumXY, int previous) {
        public static final State EMPTY = new State(0, 0, 0, 0, -1);
    }

    private long pairs;
    private double sumX;
    private double sumXX;
    private double sumXY;
    private int previous = -1;

    public LagOneAutocorrelation() {
    }

    public LagOneAutocorrelation(State state) {
        pairs = state.pairs();
        sumX = state.sumX();
        sumXX = state.sumXX();
        sumXY = state.sumXY();
        previous = state.previous();
    }

    public State state() {
        return new State(pairs, sumX, sumXX, sumXY, previous);
    }

    /** Adds the next value of the indicator (0 or 1). */
    public void observe(int x) {
        if (x != 0 && x != 1) {
            throw new IllegalArgumentException("an indicator is 0 or 1, got " + x);
        }
        if (previous >= 0) {
            pairs++;
            sumX += previous;
            sumXX += previous * previous;
            sumXY += previous * x;
        }
        previous = x;
    }

    /** (1 + rho) / (1 - rho) with rho clamped to [0, 0.95]; 1 until there are enough pairs or while the indicator is constant. */
    public double designEffect() {
        double rho = rho();
        return Double.isNaN(rho) ? 1 : inflation(rho);
    }

    /**
     * The same where it can be estimated, and otherwise the largest (39), for a test that must not
     * take a few repeated frames, or a run of identical values, for independent evidence.
     */
    public double cautiousDesignEffect() {
        double rho = rho();
        return inflation(Double.isNaN(rho) ? MAX_RHO : rho);
    }

    /** rho clamped to [0, 0.95], or NaN with too few pairs or a constant indicator. */
    private double rho() {
        if (pairs < MIN_PAIRS) {
            return Double.NaN;
        }
        double mean = sumX / pairs;
        double variance = sumXX / pairs - mean * mean;
        if (variance <= 1e-12) {
            return Double.NaN;
        }
        return Math.max(0, Math.min(MAX_RHO, (sumXY / pairs - mean * mean) / variance));
    }

    private static double inflation(double rho) {
        return (1 + rho) / (1 - rho);
    }
}
