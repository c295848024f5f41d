package io.sieve.cascade.calibration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The search-wide guarantee on a population whose true loss is known in closed form: the cheap
 * stage's confidence c is uniform, it is wrong with probability 0.6 (1 - c), and the last stage is
 * wrong with probability q = 0.05 independently. Exiting at c >= t then loses
 * L(t) = (1 - q) 0.6 (1 - t)^2 / 2 - q ((1 - t) - 0.6 (1 - t)^2 / 2) points against the last stage.
 */
class SearchWideGuaranteeTest {
    private static final double Q = 0.05;

    static double trueLoss(double t) {
        double u = 1 - Math.max(0, Math.min(1, t));
        return (1 - Q) * 0.6 * u * u / 2 - Q * (u - 0.6 * u * u / 2);
    }

    static ScoreTable draw(Random random, int n) {
        int[][] labels = new int[2][n];
        float[][] confidence = new float[2][n];
        int[] truth = new int[n];
        for (int i = 0; i < n; i++) {
            truth[i] = random.nextInt(10);
            float c = random.nextFloat();
            confidence[0][i] = c;
            labels[0][i] = random.nextDouble() < 0.6 * (1 - c) ? (truth[i] + 1) % 10 : truth[i];
            confidence[1][i] = 0.99f;
            labels[1][i] = random.nextDouble() < Q ? (truth[i] + 2) % 10 : truth[i];
        }
        return new ScoreTable(labels, confidence, truth, new double[] {1, 10});
    }

    /** What a search-wide fit at 90% does over many calibration draws: how many break eps on the population, and the mean true loss. */
    record Draws(int broken, double meanLoss) {
        static Draws of(int draws, long seed, double eps, java.util.function.Function<Random, ScoreTable> calibration) {
            int broken = 0;
            double meanLoss = 0;
            Random random = new Random(seed);
            for (int d = 0; d < draws; d++) {
                Outcome chosen = new ThresholdSearch(calibration.apply(random), 0.9, Guarantee.SEARCH_WIDE).search(Budget.maxLoss(eps), 100, false);
                // Every stage but the last sees the same confidence, so a frame exits at the lowest threshold.
                double loss = trueLoss(java.util.Arrays.stream(chosen.thresholds().global()).min().orElseThrow());
                meanLoss += loss / draws;
                broken += loss > eps ? 1 : 0;
            }
            return new Draws(broken, meanLoss);
        }
    }

    @Test
    void theBudgetHoldsOnTheTruePopulationInAtLeastTheConfidenceLevelOfCalibrationDraws() {
        double eps = 0.02;
        Draws draws = Draws.of(300, 11, eps, random -> draw(random, 2000));
        // At most 10% of draws may break it; 3 binomial standard deviations of slack over 300 draws.
        assertThat(draws.broken()).as("draws whose thresholds break the budget on the population").isLessThanOrEqualTo(45);
        // And it is not vacuous: the chosen thresholds use a good part of the budget.
        assertThat(draws.meanLoss()).isGreaterThan(0.25 * eps);
    }

    @Test
    void thePathIsFixedBeforeAnyDataAndDenseNearOne() {
        double[] path = ThresholdSearch.path(ThresholdSearch.PATH_POINTS);
        assertThat(path[0]).isEqualTo(1.0);
        assertThat(path[path.length - 1]).isEqualTo(0.0);
        assertThat(path[1]).isCloseTo(1 - 1.0 / (400 * 400), within(1e-12));
        for (int j = 1; j < path.length; j++) {
            assertThat(path[j]).isLessThan(path[j - 1]);
        }
    }

    @Test
    void theChosenThresholdsPassTheExactBoundAtTheFullLevelAndTheCascadeFileSaysSo() {
        ScoreTable table = draw(new Random(3), 5000);
        ThresholdSearch search = new ThresholdSearch(table, 0.99, Guarantee.SEARCH_WIDE);
        Outcome chosen = search.search(Budget.maxLoss(0.02), 100, false);
        assertThat(search.testLevel()).isCloseTo(0.01, within(1e-12));
        assertThat(chosen.exactLossUpperBound(0.01)).isLessThanOrEqualTo(0.02);
        assertThat(chosen.exitRate(0)).isGreaterThan(0.2);
        // The next threshold on the path fails (the sequence stopped there), or the path ran out.
        assertThat(search.lossBound(chosen)).isCloseTo(chosen.exactLossUpperBound(0.01), within(1e-12));
        Calibrator.Request request = new Calibrator.Request(Budget.maxLoss(0.02), 0.99, io.sieve.cascade.model.ConfidenceMeasure.MAX_PROBABILITY,
                false, Calibrator.CostUnit.MS, 100, Guarantee.SEARCH_WIDE);
        assertThat(Calibrator.guarantee(request, search, 5000))
                .startsWith("With probability at least 99% over the draw of the 5,000 calibration frames, the accuracy loss against the "
                        + "last stage alone is at most 2.00 points on new frames from the same distribution.");
    }

    /** Three stages whose middle one is a copy of the cheap one (cost 2): a frame exits at c >= min(t0, t1). */
    static ScoreTable threeStages(Random random, int n) {
        ScoreTable two = draw(random, n);
        int[][] labels = {two.labels()[0], two.labels()[0].clone(), two.labels()[1]};
        float[][] confidence = {two.confidence()[0], two.confidence()[0].clone(), two.confidence()[1]};
        return new ScoreTable(labels, confidence, two.truth(), new double[] {1, 2, 10});
    }

    @Test
    void threeStagesAreOrderedOnOneSplitAndTestedOnTheOtherAtTheFullLevel() {
        ScoreTable table = threeStages(new Random(5), 4000);
        ThresholdSearch search = new ThresholdSearch(table, 0.95, Guarantee.SEARCH_WIDE);
        Outcome chosen = search.search(Budget.maxLoss(0.03), 100, false);
        assertThat(search.usedParetoTesting()).isTrue();
        assertThat(search.testLevel()).isCloseTo(0.05, within(1e-12));
        assertThat(search.testingFrames()).isEqualTo(3200);
        // The bound is taken on the testing frames only, and the estimates on all of them.
        assertThat(chosen.n()).isEqualTo(4000);
        assertThat(search.lossBound(chosen)).isLessThanOrEqualTo(0.03).isNotCloseTo(chosen.exactLossUpperBound(0.05), within(1e-9));
        assertThat(chosen.exitRate(0) + chosen.exitRate(1)).isGreaterThan(0.2);
    }

    @Test
    void threeStagesKeepTheBudgetOnThePopulationInAtLeastTheConfidenceLevelOfDraws() {
        double eps = 0.02;
        Draws draws = Draws.of(60, 17, eps, random -> threeStages(random, 1000));
        // At most 10% of draws may break it; 3 binomial standard deviations of slack over 60 draws.
        assertThat(draws.broken()).as("draws whose thresholds break the budget on the population").isLessThanOrEqualTo(13);
        // Not vacuous (never exiting loses nothing), though 800 testing frames leave a wide margin.
        assertThat(draws.meanLoss()).isGreaterThan(0.1 * eps);
    }

    @Test
    void perClassThresholdsAreRefusedUnderTheSearchWideGuaranteeWithTheWayOut() {
        assertThatThrownBy(() -> new ThresholdSearch(draw(new Random(1), 500), 0.95, Guarantee.SEARCH_WIDE)
                .search(Budget.maxLoss(0.05), 100, true)).isInstanceOf(CalibrationException.class).hasMessageContaining("PER_CANDIDATE");
    }

    @Test
    void exactBoundsMatchKnownClopperPearsonValues() {
        // 0 of 100: the one-sided 95% upper bound is 1 - 0.05^(1/100).
        assertThat(ExactBounds.upper(0, 100, 0.05)).isCloseTo(1 - Math.pow(0.05, 0.01), within(1e-9));
        // 10 of 100 at 2.5% each side: the classic two-sided 95% interval [0.0490, 0.1762].
        assertThat(ExactBounds.lower(10, 100, 0.025)).isCloseTo(0.0490, within(1e-4));
        assertThat(ExactBounds.upper(10, 100, 0.025)).isCloseTo(0.1762, within(1e-4));
        assertThat(ExactBounds.upper(100, 100, 0.05)).isEqualTo(1.0);
        assertThat(ExactBounds.lower(0, 100, 0.05)).isZero();
    }
}
