package io.sieve.cascade.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ThresholdSearchTest {

    /** Cheap stage: 6,000 frames at confidence 0.9, all right; 4,000 at 0.5, half right. The expensive stage is always right. */
    private static ScoreTable twoPopulations() {
        int n = 10_000;
        int[][] labels = new int[2][n];
        float[][] confidence = new float[2][n];
        int[] truth = new int[n];
        for (int i = 0; i < n; i++) {
            truth[i] = i % 10;
            labels[1][i] = truth[i];
            confidence[1][i] = 0.99f;
            boolean sure = i < 6000;
            confidence[0][i] = sure ? 0.9f : 0.5f;
            labels[0][i] = sure || i % 2 == 0 ? truth[i] : (truth[i] + 1) % 10;
        }
        return new ScoreTable(labels, confidence, truth, new double[] {1, 10});
    }

    @Test
    void exitsExactlyTheFramesThatCostNoAccuracy() {
        Outcome best = new ThresholdSearch(twoPopulations(), 0.95).search(Budget.maxLoss(0.001), 100, false);
        assertThat(best.thresholds().global()[0]).isEqualTo(0.9, within(1e-6));
        assertThat(best.exits()).containsExactly(6000, 4000);
        assertThat(best.meanCost()).isCloseTo(1 + 0.4 * 10, within(1e-9));
        assertThat(best.loss()).isZero();
    }

    @Test
    void aZeroBudgetSkipsTheCheapStageEntirely() {
        // Even a perfect-looking exit group has a positive loss bound, so eps = 0 leaves only the last stage,
        // and a stage that never lets a frame exit is not run (not paid for) at all.
        Outcome best = new ThresholdSearch(twoPopulations(), 0.95).search(Budget.maxLoss(0), 100, false);
        assertThat(best.exits()).containsExactly(0, 10_000);
        assertThat(best.meanCost()).isEqualTo(10.0);
    }

    @Test
    void aLooseEnoughBudgetLetsTheUnsureFramesExitToo() {
        // Exiting everything loses 2,000 / 10,000 = 20 points; a 25-point budget covers it even with the margin.
        Outcome best = new ThresholdSearch(twoPopulations(), 0.95).search(Budget.maxLoss(0.25), 100, false);
        assertThat(best.exits()).containsExactly(10_000, 0);
        assertThat(best.meanCost()).isEqualTo(1.0);
    }

    @Test
    void theMarginRejectsAPointWhoseEstimateMeetsTheBudgetButWhoseBoundDoesNot() {
        // The plain estimate of exiting everything is exactly the budget (0.20); its upper bound is above it.
        ThresholdSearch search = new ThresholdSearch(twoPopulations(), 0.95);
        Outcome all = twoPopulations().evaluate(Thresholds.of(0.0));
        assertThat(all.loss()).isCloseTo(0.20, within(1e-12));
        assertThat(all.lossUpperBound(search.z())).isGreaterThan(0.20);
        Outcome best = search.search(Budget.maxLoss(0.20), 100, false);
        assertThat(best.exits()[0]).isEqualTo(6000);
    }

    @Test
    void jointSearchFindsTheBruteForceOptimumOfAThreeStageCascade() {
        Random random = new Random(7);
        int n = 400;
        int[][] labels = new int[3][n];
        float[][] confidence = new float[3][n];
        int[] truth = new int[n];
        double[] skill = {0.55, 0.75, 0.9};
        for (int i = 0; i < n; i++) {
            truth[i] = random.nextInt(10);
            for (int s = 0; s < 3; s++) {
                float c = random.nextFloat();
                confidence[s][i] = Math.round(c * 20) / 20f;
                boolean right = random.nextDouble() < skill[s] * (0.5 + c / 2) + 0.1;
                labels[s][i] = right ? truth[i] : (truth[i] + 1 + random.nextInt(9)) % 10;
            }
        }
        ScoreTable table = new ScoreTable(labels, confidence, truth, new double[] {1, 4, 20});
        ThresholdSearch search = new ThresholdSearch(table, 0.95);
        Budget budget = Budget.maxLoss(0.05);
        Outcome found = search.search(budget, 200, false);

        double[] values = new double[22];
        for (int v = 0; v <= 20; v++) {
            values[v] = v / 20.0f;
        }
        values[21] = Thresholds.NEVER;
        double bestCost = Double.MAX_VALUE;
        for (double t0 : values) {
            for (double t1 : values) {
                Outcome o = table.evaluate(Thresholds.of(t0, t1));
                if (search.feasible(o, budget)) {
                    bestCost = Math.min(bestCost, o.meanCost());
                }
            }
        }
        assertThat(found.meanCost()).isCloseTo(bestCost, within(1e-9));
        assertThat(search.feasible(found, budget)).isTrue();
        assertThat(found.meanCost()).isLessThan(25.0);
    }

    @Test
    void aTargetAccuracyIsMetAtItsLowerBound() {
        ScoreTable table = twoPopulations();
        ThresholdSearch search = new ThresholdSearch(table, 0.95);
        Outcome best = search.search(Budget.minAccuracy(0.85), 100, false);
        assertThat(best.accuracyLowerBound(search.z())).isGreaterThanOrEqualTo(0.85);
        // Exiting everything would reach 80%: too low; the 0.9 group alone keeps accuracy at 100%.
        assertThat(best.exits()).containsExactly(6000, 4000);
    }

    @Test
    void perClassThresholdsNeverCostMoreThanOneGlobalThreshold() {
        ScoreTable table = twoPopulations();
        ThresholdSearch search = new ThresholdSearch(table, 0.95);
        Outcome global = search.search(Budget.maxLoss(0.02), 50, false);
        Outcome perClass = search.search(Budget.maxLoss(0.02), 50, true);
        assertThat(perClass.meanCost()).isLessThanOrEqualTo(global.meanCost());
        assertThat(search.feasible(perClass, Budget.maxLoss(0.02))).isTrue();
    }

    @Test
    void impossibleBudgetsAreClearErrors() {
        assertThatThrownBy(() -> Budget.maxLoss(-0.01)).hasMessageContaining("eps must be in [0, 1)");
        assertThatThrownBy(() -> Budget.maxLoss(1.5)).hasMessageContaining("give a fraction");
        ScoreTable table = twoPopulations();
        assertThatThrownBy(() -> new ThresholdSearch(table, 0.95).search(Budget.minAccuracy(1.0), 10, false))
                .isInstanceOf(CalibrationException.class).hasMessageContaining("cannot be guaranteed");
        int[][] labels = Arrays.stream(table.labels()).map(int[]::clone).toArray(int[][]::new);
        labels[1][0] = (labels[1][0] + 1) % 10;
        ScoreTable imperfect = new ScoreTable(labels, table.confidence(), table.truth(), table.costs());
        assertThatThrownBy(() -> new ThresholdSearch(imperfect, 0.95).search(Budget.minAccuracy(1.0), 10, false))
                .hasMessageContaining("above what the last stage reaches");
    }

    @Test
    void boundsMatchHandComputedValues() {
        ScoreTable table = twoPopulations();
        assertThat(new ThresholdSearch(table, 0.95).z()).isCloseTo(1.644854, within(1e-6));
        assertThat(new ThresholdSearch(table, 0.99).z()).isCloseTo(2.326348, within(1e-6));
        Outcome o = new Outcome(Thresholds.of(0.5), 100, 90, 12, 2, new int[] {50, 50}, 1.0);
        assertThat(o.accuracyLowerBound(1.644854)).isCloseTo(0.83966, within(1e-4));
        // d has mean 0.10 and second moment 0.14: sd = sqrt(0.13); bound = 0.10 + 1.645 * sqrt(0.13 / 100).
        assertThat(o.lossUpperBound(1.644854)).isCloseTo(0.10 + 1.644854 * Math.sqrt(0.0013), within(1e-9));
    }
}
