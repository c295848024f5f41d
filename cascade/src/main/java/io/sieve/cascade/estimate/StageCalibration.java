package io.sieve.cascade.estimate;

import io.sieve.cascade.calibration.ReliabilityTable;

/**
 * What calibration measured about the validation frames one stage decides: accuracy by confidence
 * ({@code reliability}) and confusion counts {@code [predicted][true]}.
 */
public record StageCalibration(ReliabilityTable reliability, int[][] confusion) {

    /** Smoothed P(correct) of the bin holding {@code confidence}, with the number of validation frames behind it. */
    double[] correctProbability(double confidence) {
        ReliabilityTable.Bin bin = reliability.binOf(confidence);
        return smoothed(bin.correct(), bin.frames());
    }

    /** Smoothed P(true class = k | predicted j) for frames this stage decides, with the frames behind it. */
    double[] classProbability(int predicted, int k) {
        int row = 0;
        for (int count : confusion[predicted]) {
            row += count;
        }
        return smoothed(confusion[predicted][k], row);
    }

    /** (hits + 1/2) / (n + 1), a Jeffreys-style estimate that never claims certainty from finite counts. */
    private static double[] smoothed(int hits, int n) {
        return new double[] {(hits + 0.5) / (n + 1.0), n};
    }
}
