package io.sieve.cascade.evaluation;

import io.sieve.cascade.calibration.Budget;
import io.sieve.cascade.calibration.Guarantee;
import io.sieve.cascade.calibration.Outcome;
import io.sieve.cascade.calibration.ScoreTable;
import io.sieve.cascade.calibration.ThresholdSearch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.IntConsumer;

/**
 * Checks a budget's promise the way it is made: over many random splits of labelled frames into a
 * calibration part and a test part, fit thresholds on the calibration part and count the splits
 * whose test part breaks the budget. A promise made at confidence 1 - delta should fail in about
 * delta of the splits or fewer (plus the test part's own sampling noise).
 */
public final class GuaranteeCheck {
    private GuaranteeCheck() {
    }

    /** How one way of fitting fared over the splits: how often the test part broke the budget, and what it cost. */
    public record Result(Guarantee guarantee, int splits, int broken, double[] testLosses, double[] speedups) {
        public double brokenShare() {
            return (double) broken / splits;
        }

        public double medianTestLoss() {
            return quantile(testLosses, 0.5);
        }

        public double medianSpeedup() {
            return quantile(speedups, 0.5);
        }

        /** The {@code q} quantile of the test losses (or accuracies, for a minimum-accuracy budget). */
        public double testLossQuantile(double q) {
            return quantile(testLosses, q);
        }
    }

    /** The {@code q} quantile of {@code values}, the median of the middle two for q = 0.5 and an even count. */
    static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        if (q == 0.5 && sorted.length % 2 == 0) {
            return (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
    }

    /**
     * @param pooled           every labelled frame's scores (costs per stage included)
     * @param calibrationFrames frames per calibration part; the rest of each split is its test part
     * @param progress         hears of every split done
     */
    public static List<Result> run(ScoreTable pooled, Budget budget, double confidenceLevel, int calibrationFrames, int splits,
                                   long seed, List<Guarantee> guarantees, IntConsumer progress) {
        if (calibrationFrames < 1 || calibrationFrames >= pooled.size()) {
            throw new IllegalArgumentException("a calibration part of " + calibrationFrames + " frames leaves no test part of "
                    + pooled.size() + " frames");
        }
        List<double[]> losses = new ArrayList<>();
        List<double[]> speedups = new ArrayList<>();
        int[] broken = new int[guarantees.size()];
        for (int g = 0; g < guarantees.size(); g++) {
            losses.add(new double[splits]);
            speedups.add(new double[splits]);
        }
        Random random = new Random(seed);
        int[] order = new int[pooled.size()];
        Arrays.setAll(order, i -> i);
        for (int split = 0; split < splits; split++) {
            for (int i = order.length - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = order[i];
                order[i] = order[j];
                order[j] = swap;
            }
            ScoreTable calibration = pooled.rows(Arrays.copyOfRange(order, 0, calibrationFrames));
            ScoreTable test = pooled.rows(Arrays.copyOfRange(order, calibrationFrames, order.length));
            double lastStageCost = test.referenceCost();
            for (int g = 0; g < guarantees.size(); g++) {
                Outcome fitted = new ThresholdSearch(calibration, confidenceLevel, guarantees.get(g)).search(budget, 100, false);
                Outcome onTest = test.evaluate(fitted.thresholds());
                boolean breaks = budget.kind() == Budget.Kind.MAX_LOSS ? onTest.loss() > budget.value() : onTest.accuracy() < budget.value();
                if (breaks) {
                    broken[g]++;
                }
                losses.get(g)[split] = budget.kind() == Budget.Kind.MAX_LOSS ? onTest.loss() : onTest.accuracy();
                speedups.get(g)[split] = lastStageCost / onTest.meanCost();
            }
            progress.accept(1);
        }
        List<Result> results = new ArrayList<>();
        for (int g = 0; g < guarantees.size(); g++) {
            results.add(new Result(guarantees.get(g), splits, broken[g], losses.get(g), speedups.get(g)));
        }
        return results;
    }
}
