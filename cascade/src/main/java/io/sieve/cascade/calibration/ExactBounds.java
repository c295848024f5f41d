package io.sieve.cascade.calibration;

import org.apache.commons.math3.distribution.BetaDistribution;

/**
 * Exact one-sided binomial (Clopper-Pearson) confidence bounds: valid for any n, with no normal
 * approximation, so a bound of level 1 - alpha fails for at most alpha of the draws.
 */
public final class ExactBounds {
    private ExactBounds() {
    }

    /** The p with P(p > upper) <= alpha after {@code k} successes in {@code n} trials. */
    public static double upper(int k, int n, double alpha) {
        if (k >= n) {
            return 1;
        }
        return new BetaDistribution(null, k + 1, n - k).inverseCumulativeProbability(1 - alpha);
    }

    /** The p with P(p < lower) <= alpha after {@code k} successes in {@code n} trials. */
    public static double lower(int k, int n, double alpha) {
        if (k <= 0) {
            return 0;
        }
        return new BetaDistribution(null, k, n - k + 1).inverseCumulativeProbability(alpha);
    }

    /**
     * An upper bound on a paired loss {@code P(worse) - P(better)} that holds with probability at
     * least 1 - alpha: the upper bound of P(worse) at alpha / 2 less the lower bound of P(better)
     * at alpha / 2 (a union bound over the two).
     */
    public static double lossUpper(int worse, int better, int n, double alpha) {
        return upper(worse, n, alpha / 2) - lower(better, n, alpha / 2);
    }
}
