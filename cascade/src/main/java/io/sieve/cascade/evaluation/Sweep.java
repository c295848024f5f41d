package io.sieve.cascade.evaluation;

import io.sieve.cascade.calibration.Budget;
import io.sieve.cascade.calibration.ModelScores;
import io.sieve.cascade.calibration.Calibrator;
import io.sieve.cascade.calibration.Outcome;
import io.sieve.cascade.calibration.ScoreTable;
import io.sieve.cascade.calibration.Guarantee;
import io.sieve.cascade.calibration.ThresholdSearch;
import io.sieve.cascade.model.ConfidenceMeasure;
import java.util.ArrayList;
import java.util.List;

/**
 * The accuracy-versus-cost curve: for each budget, thresholds are fitted on the validation scores
 * only and then applied to the test scores. Costs are the models' measured milliseconds per image,
 * so a point's cost is the model time the cascade would spend per frame.
 */
public final class Sweep {
    private Sweep() {
    }

    /** One budget's thresholds, as fitted on validation and as they fare on test. */
    public record Point(double eps, double[] thresholds, double[] testExitRates, double validationLoss,
                        double validationLossBound, double testAccuracy, double testLoss, double testMsPerFrame) {
    }

    public static List<Point> run(List<ModelScores> validation, int[] validationTruth, List<ModelScores> test, int[] testTruth,
                                  ConfidenceMeasure measure, double confidenceLevel, Guarantee guarantee, List<Double> epsValues,
                                  boolean perClass) {
        ScoreTable testTable = Calibrator.table(test, measure, Calibrator.CostUnit.MS, testTruth);
        ScoreTable scored = Calibrator.table(validation, measure, Calibrator.CostUnit.MS, validationTruth);
        // Both tables are costed with the test run's timings, so points compare like with like.
        ScoreTable validationTable = new ScoreTable(scored.labels(), scored.confidence(), validationTruth, testTable.costs(), testTable.handsOn());
        ThresholdSearch search = new ThresholdSearch(validationTable, confidenceLevel, guarantee);
        List<Point> points = new ArrayList<>();
        for (double eps : epsValues) {
            Outcome fitted = search.search(Budget.maxLoss(eps), 100, perClass);
            Outcome onTest = testTable.evaluate(fitted.thresholds());
            double[] rates = new double[test.size()];
            for (int s = 0; s < rates.length; s++) {
                rates[s] = onTest.exitRate(s);
            }
            points.add(new Point(eps, fitted.thresholds().global(), rates, fitted.loss(), search.lossBound(fitted),
                    onTest.accuracy(), onTest.loss(), onTest.meanCost()));
        }
        return points;
    }
}
