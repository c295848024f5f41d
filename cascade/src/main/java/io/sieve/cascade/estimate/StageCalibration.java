package io.sieve.cascade.estimate;

import io.sieve.cascade.definition.CascadeDefinition;
import io.sieve.cascade.definition.ReliabilityTable;
import java.util.ArrayList;
import java.util.List;

/**
 * What calibration measured about the validation frames one stage decides: accuracy by confidence
 * ({@code reliability}) and confusion counts {@code [predicted][true]}.
 */
public record StageCalibration(ReliabilityTable reliability, int[][] confusion) {

    /** Every stage's calibration from a cascade file, or an empty list if the file lacks any stage's tables. */
    public static List<StageCalibration> of(CascadeDefinition definition) {
        List<StageCalibration> out = new ArrayList<>();
        for (CascadeDefinition.StageDefinition stage : definition.stages()) {
            if (stage.reliability() == null || stage.confusion() == null) {
                return List.of();
            }
            out.add(new StageCalibration(stage.reliability(), stage.confusion()));
        }
        return out;
    }

    /** Smoothed P(correct) of reliability bin {@code bin}, with the number of validation frames behind it. */
    double[] correctProbability(int bin) {
        ReliabilityTable.Bin b = reliability.bins().get(bin);
        return smoothed(b.correct(), b.frames());
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
