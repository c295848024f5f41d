package io.sieve.cascade.estimate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.sieve.cascade.definition.ReliabilityTable;
import io.sieve.cascade.calibration.ScoreTable;
import io.sieve.cascade.calibration.Thresholds;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class OnlineEstimateTest {
    private static final int CLASSES = 10;

    /** Frames from a simulated two-stage cascade whose accuracy grows with confidence; the same law for validation and test. */
    private static List<CoverageCheck.Decision> simulate(int n, Random random) {
        List<CoverageCheck.Decision> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            int truth = random.nextInt(CLASSES);
            boolean early = random.nextDouble() < 0.6;
            double confidence = early ? 0.6 + 0.4 * random.nextDouble() : 0.2 + 0.8 * random.nextDouble();
            double pCorrect = early ? 0.7 + 0.3 * confidence : 0.5 + 0.4 * confidence;
            // Class 1 is harder: its frames are more often mistaken for class 9.
            if (truth == 1) {
                pCorrect -= 0.15;
            }
            int label = random.nextDouble() < pCorrect ? truth : (truth == 1 ? 9 : (truth + 1 + random.nextInt(CLASSES - 1)) % CLASSES);
            out.add(new CoverageCheck.Decision(early ? 0 : 1, confidence, label, truth));
        }
        return out;
    }

    /** Calibration tables built the way the calibrator builds them, from simulated validation decisions. */
    private static List<StageCalibration> calibrate(List<CoverageCheck.Decision> validation) {
        int n = validation.size();
        int[][] labels = new int[2][n];
        float[][] confidence = new float[2][n];
        int[] truth = new int[n];
        for (int i = 0; i < n; i++) {
            CoverageCheck.Decision d = validation.get(i);
            truth[i] = d.truth();
            // Stage 0 exits exactly the frames it decided (confidence >= 0.6 there; below 0.6 never reaches 0.6 threshold).
            labels[0][i] = d.label();
            labels[1][i] = d.label();
            confidence[0][i] = d.stage() == 0 ? (float) d.confidence() : 0f;
            confidence[1][i] = (float) d.confidence();
        }
        ScoreTable table = new ScoreTable(labels, confidence, truth, new double[] {1, 10});
        Thresholds thresholds = Thresholds.of(0.5);
        List<StageCalibration> stages = new ArrayList<>();
        for (int s = 0; s < 2; s++) {
            stages.add(new StageCalibration(table.reliability(thresholds, s, 10, 30), table.confusion(thresholds, s, CLASSES)));
        }
        return stages;
    }

    /**
     * Over many simulated worlds (validation and test sets drawn anew each time), the 95% intervals
     * cover the truth about 95% of the time at every progress share. Within one world the
     * calibration error is shared by every replay, so coverage is checked across worlds here; the
     * real test batch is checked replay by replay in {@code CoverageIT}.
     */
    @Test
    void ninetyFivePercentIntervalsCoverTheTruthAboutNinetyFivePercentOfTheTime() {
        double[] progress = {0.1, 0.25, 0.5, 1.0};
        double[] accuracy = new double[progress.length];
        double[] count = new double[progress.length];
        int worlds = 40;
        for (int world = 0; world < worlds; world++) {
            Random random = new Random(100 + world);
            List<StageCalibration> calibration = calibrate(simulate(5000, random));
            List<CoverageCheck.Decision> test = simulate(10_000, random);
            int i = 0;
            for (double[] c : CoverageCheck.run(test, calibration, CLASSES, 1, 20, progress, world).values()) {
                accuracy[i] += c[0] / worlds;
                count[i] += c[1] / worlds;
                i++;
            }
        }
        for (int i = 0; i < progress.length; i++) {
            assertThat(accuracy[i]).as("accuracy coverage at %.0f%%", 100 * progress[i]).isGreaterThanOrEqualTo(0.90);
            assertThat(count[i]).as("class-count coverage at %.0f%%", 100 * progress[i]).isGreaterThanOrEqualTo(0.90);
        }
    }

    @Test
    void theErrorCorrectedCountIsCloserToTheTruthThanTheRawCountOfPredictions() {
        Random random = new Random(12);
        List<StageCalibration> calibration = calibrate(simulate(5000, random));
        List<CoverageCheck.Decision> test = simulate(10_000, random);
        OnlineEstimate estimate = new OnlineEstimate(calibration, CLASSES);
        test.forEach(d -> estimate.add(d.stage(), d.confidence(), d.label(), d.truth()));
        long truth = test.stream().filter(d -> d.truth() == 1).count();
        Interval corrected = estimate.classCount(1, test.size(), Interval.Z95, 1);
        assertThat(Math.abs(corrected.estimate() - truth)).isLessThan(Math.abs(estimate.predicted(1) - truth) / 3.0);
        assertThat(estimate.trueAccuracy()).isCloseTo(estimate.accuracy(Interval.Z95, 1).estimate(), within(0.02));
    }

    @Test
    void intervalsNarrowAsFramesArriveAndWidenWithTheDesignEffect() {
        Random random = new Random(13);
        List<StageCalibration> calibration = calibrate(simulate(5000, random));
        List<CoverageCheck.Decision> test = simulate(4000, random);
        OnlineEstimate estimate = new OnlineEstimate(calibration, CLASSES);
        double previousWidth = Double.MAX_VALUE;
        for (int i = 0; i < test.size(); i++) {
            CoverageCheck.Decision d = test.get(i);
            estimate.add(d.stage(), d.confidence(), d.label(), null);
            if ((i + 1) % 1000 == 0) {
                Interval count = estimate.classCount(3, test.size(), Interval.Z95, 1);
                assertThat(count.high() - count.low()).isLessThan(previousWidth);
                previousWidth = count.high() - count.low();
            }
        }
        Interval independent = estimate.accuracy(Interval.Z95, 1);
        Interval correlated = estimate.accuracy(Interval.Z95, 4);
        assertThat(correlated.high() - correlated.low()).isGreaterThan(independent.high() - independent.low());
        assertThat(estimate.trueAccuracy()).isNull();
    }

    @Test
    void aRestoredEstimateGivesTheSameAnswersAsTheOriginal() {
        Random random = new Random(14);
        List<StageCalibration> calibration = calibrate(simulate(5000, random));
        OnlineEstimate original = new OnlineEstimate(calibration, CLASSES);
        simulate(700, random).forEach(d -> original.add(d.stage(), d.confidence(), d.label(), d.truth()));
        OnlineEstimate restored = OnlineEstimate.restore(calibration, CLASSES, original.state());
        assertThat(restored.accuracy(1.96, 1)).isEqualTo(original.accuracy(1.96, 1));
        assertThat(restored.classCount(4, 2000, 1.96, 1)).isEqualTo(original.classCount(4, 2000, 1.96, 1));
        assertThat(restored.trueAccuracy()).isEqualTo(original.trueAccuracy());
    }

    /**
     * A stage whose confusion rows hold few calibration frames (as a cascade's later stages do) lends
     * no class phantom frames: the class counts of the frames seen add up to the frames seen, and
     * with every frame exactly as calibration saw it, each class's count is its true count give or
     * take the smoothing.
     */
    @Test
    void classCountsOfAStageWithSmallConfusionRowsAddUpToTheFramesSeen() {
        int[][] confusion = new int[CLASSES][CLASSES];
        for (int j = 0; j < CLASSES; j++) {
            confusion[j][j] = 8;
            confusion[j][(j + 1) % CLASSES] = 2;
        }
        ReliabilityTable reliability = new ReliabilityTable(List.of(new ReliabilityTable.Bin(0, 1, 10 * CLASSES, 8 * CLASSES)));
        OnlineEstimate estimate = new OnlineEstimate(List.of(new StageCalibration(reliability, confusion)), CLASSES);
        int seen = 0;
        for (int j = 0; j < CLASSES; j++) {
            for (int k = 0; k < CLASSES; k++) {
                for (int f = 0; f < confusion[j][k]; f++) {
                    estimate.add(0, 0.9, j, k);
                    seen++;
                }
            }
        }
        double total = 0;
        for (int k = 0; k < CLASSES; k++) {
            double count = estimate.classCount(k, seen, 1.96, 1).estimate();
            assertThat(count).as("class %d", k).isCloseTo(10, within(1.0));
            total += count;
        }
        assertThat(total).isCloseTo(seen, within(1e-6));
    }
}
