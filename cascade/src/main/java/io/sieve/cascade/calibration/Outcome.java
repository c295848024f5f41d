package io.sieve.cascade.calibration;

/**
 * A cascade's result on a labelled set: accuracy, where frames exit, the mean cost per frame, and
 * the paired comparison with the last stage alone ({@code worse}: frames the cascade gets wrong
 * and the last stage right; {@code better}: the reverse).
 */
public record Outcome(Thresholds thresholds, int n, int correct, int worse, int better, int[] exits, double meanCost) {

    public double accuracy() {
        return (double) correct / n;
    }

    /** Accuracy lost against the last stage alone: (worse - better) / n. */
    public double loss() {
        return (double) (worse - better) / n;
    }

    /**
     * One-sided upper confidence bound on the loss for frames drawn like these: the paired
     * difference d = [last right] - [cascade right] takes values -1, 0, 1, and its mean gets a
     * normal-approximation bound with the paired (McNemar) variance.
     */
    public double lossUpperBound(double z) {
        double mean = loss();
        double secondMoment = (double) (worse + better) / n;
        double variance = Math.max(secondMoment - mean * mean, 0);
        // With no discordant frame at all the variance estimate is 0; a rule-of-three floor keeps
        // the bound from claiming certainty that n frames cannot give.
        double floor = 3.0 / n;
        return mean + Math.max(z * Math.sqrt(variance / n), worse == 0 && better == 0 ? floor : 0);
    }

    /**
     * Exact upper bound on the loss at level {@code alpha}: Clopper-Pearson on the share of frames
     * made worse at alpha / 2, less that on the share made better at alpha / 2.
     */
    public double exactLossUpperBound(double alpha) {
        return ExactBounds.lossUpper(worse, better, n, alpha);
    }

    /** Exact (Clopper-Pearson) lower bound on the accuracy at level {@code alpha}. */
    public double exactAccuracyLowerBound(double alpha) {
        return ExactBounds.lower(correct, n, alpha);
    }

    /** Wilson-score lower confidence bound on the accuracy. */
    public double accuracyLowerBound(double z) {
        double p = accuracy();
        double z2 = z * z;
        double centre = p + z2 / (2 * n);
        double spread = z * Math.sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));
        return (centre - spread) / (1 + z2 / n);
    }

    public double exitRate(int stage) {
        return (double) exits[stage] / n;
    }
}
